/* The part of OpenCL 1.2 the delegate calls, declared here from the specification so the
   delegate builds without OpenCL headers and never links OpenCL: runtime.c fills a cld_cl
   table with dlsym from the ICD loader it dlopens. Only what the delegate uses is declared. */
#ifndef EMBER_CLD_CL_API_H
#define EMBER_CLD_CL_API_H

#include <stddef.h>
#include <stdint.h>

typedef int32_t cl_int;
typedef uint32_t cl_uint;
typedef uint64_t cl_ulong;
typedef cl_ulong cl_bitfield;
typedef cl_uint cl_bool;
typedef cl_bitfield cl_device_type;
typedef cl_bitfield cl_mem_flags;
typedef cl_bitfield cl_command_queue_properties;
typedef cl_uint cl_platform_info;
typedef cl_uint cl_device_info;
typedef cl_uint cl_program_info;
typedef cl_uint cl_program_build_info;
typedef cl_uint cl_kernel_work_group_info;
typedef intptr_t cl_context_properties;

/* Handles are pointers to types the driver defines; the delegate never looks inside. */
typedef struct _cl_platform_id *cl_platform_id;
typedef struct _cl_device_id *cl_device_id;
typedef struct _cl_context *cl_context;
typedef struct _cl_command_queue *cl_command_queue;
typedef struct _cl_mem *cl_mem;
typedef struct _cl_program *cl_program;
typedef struct _cl_kernel *cl_kernel;
typedef struct _cl_event *cl_event;

#define CL_SUCCESS 0
#define CL_FALSE 0u
#define CL_TRUE 1u

#define CL_PLATFORM_VERSION 0x0901u
#define CL_PLATFORM_NAME 0x0902u
#define CL_PLATFORM_VENDOR 0x0903u

#define CL_DEVICE_TYPE_CPU ((cl_device_type)1 << 1)
#define CL_DEVICE_TYPE_GPU ((cl_device_type)1 << 2)
#define CL_DEVICE_TYPE_ACCELERATOR ((cl_device_type)1 << 3)
#define CL_DEVICE_TYPE_ALL ((cl_device_type)0xFFFFFFFFu)

#define CL_DEVICE_MAX_WORK_GROUP_SIZE 0x1004u
#define CL_DEVICE_MAX_MEM_ALLOC_SIZE 0x1010u
#define CL_DEVICE_MEM_BASE_ADDR_ALIGN 0x1019u /* in bits */
#define CL_DEVICE_NAME 0x102Bu
#define CL_DEVICE_VENDOR 0x102Cu
#define CL_DRIVER_VERSION 0x102Du
#define CL_DEVICE_VERSION 0x102Fu
#define CL_DEVICE_EXTENSIONS 0x1030u

#define CL_MEM_READ_WRITE ((cl_mem_flags)1 << 0)
#define CL_MEM_READ_ONLY ((cl_mem_flags)1 << 2)
#define CL_MEM_COPY_HOST_PTR ((cl_mem_flags)1 << 5)

#define CL_PROGRAM_BINARY_SIZES 0x1165u
#define CL_PROGRAM_BINARIES 0x1166u
#define CL_PROGRAM_BUILD_LOG 0x1183u

#define CL_KERNEL_WORK_GROUP_SIZE 0x11B0u

/* Each function the delegate calls: return type, name, parameter list. The table's fields
   and the dlsym loop are generated from this one list. Linux and the BSDs use the C calling
   convention for OpenCL (Windows' __stdcall is not a target: the delegate loads with dlopen). */
#define CLD_CL_FUNCTIONS(X)                                                                   \
    X(cl_int, clGetPlatformIDs, (cl_uint, cl_platform_id *, cl_uint *))                       \
    X(cl_int, clGetPlatformInfo, (cl_platform_id, cl_platform_info, size_t, void *, size_t *)) \
    X(cl_int, clGetDeviceIDs, (cl_platform_id, cl_device_type, cl_uint, cl_device_id *,        \
                               cl_uint *))                                                    \
    X(cl_int, clGetDeviceInfo, (cl_device_id, cl_device_info, size_t, void *, size_t *))       \
    X(cl_context, clCreateContext,                                                            \
      (const cl_context_properties *, cl_uint, const cl_device_id *,                          \
       void (*)(const char *, const void *, size_t, void *), void *, cl_int *))               \
    X(cl_int, clReleaseContext, (cl_context))                                                 \
    X(cl_command_queue, clCreateCommandQueue,                                                 \
      (cl_context, cl_device_id, cl_command_queue_properties, cl_int *))                      \
    X(cl_int, clReleaseCommandQueue, (cl_command_queue))                                      \
    X(cl_mem, clCreateBuffer, (cl_context, cl_mem_flags, size_t, void *, cl_int *))           \
    X(cl_int, clReleaseMemObject, (cl_mem))                                                   \
    X(cl_program, clCreateProgramWithSource,                                                  \
      (cl_context, cl_uint, const char **, const size_t *, cl_int *))                         \
    X(cl_program, clCreateProgramWithBinary,                                                  \
      (cl_context, cl_uint, const cl_device_id *, const size_t *, const unsigned char **,     \
       cl_int *, cl_int *))                                                                   \
    X(cl_int, clBuildProgram, (cl_program, cl_uint, const cl_device_id *, const char *,        \
                               void (*)(cl_program, void *), void *))                         \
    X(cl_int, clGetProgramInfo, (cl_program, cl_program_info, size_t, void *, size_t *))       \
    X(cl_int, clGetProgramBuildInfo,                                                          \
      (cl_program, cl_device_id, cl_program_build_info, size_t, void *, size_t *))            \
    X(cl_int, clReleaseProgram, (cl_program))                                                 \
    X(cl_kernel, clCreateKernel, (cl_program, const char *, cl_int *))                        \
    X(cl_int, clReleaseKernel, (cl_kernel))                                                   \
    X(cl_int, clSetKernelArg, (cl_kernel, cl_uint, size_t, const void *))                     \
    X(cl_int, clGetKernelWorkGroupInfo, (cl_kernel, cl_device_id, cl_kernel_work_group_info,   \
                                         size_t, void *, size_t *))                           \
    X(cl_int, clEnqueueNDRangeKernel,                                                         \
      (cl_command_queue, cl_kernel, cl_uint, const size_t *, const size_t *, const size_t *,  \
       cl_uint, const cl_event *, cl_event *))                                                \
    X(cl_int, clEnqueueWriteBuffer, (cl_command_queue, cl_mem, cl_bool, size_t, size_t,        \
                                     const void *, cl_uint, const cl_event *, cl_event *))    \
    X(cl_int, clEnqueueReadBuffer, (cl_command_queue, cl_mem, cl_bool, size_t, size_t, void *, \
                                    cl_uint, const cl_event *, cl_event *))                   \
    X(cl_int, clFinish, (cl_command_queue))

#define CLD_CL_FIELD(ret, name, params) ret (*name) params;
typedef struct cld_cl {
    CLD_CL_FUNCTIONS(CLD_CL_FIELD)
} cld_cl;
#undef CLD_CL_FIELD

/* The name of an OpenCL error code ("CL_BUILD_PROGRAM_FAILURE"), or "unknown error". */
const char *cld_cl_error_name(cl_int code);

#endif /* EMBER_CLD_CL_API_H */
