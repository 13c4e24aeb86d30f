/* The delegate's one OpenCL program: from a cache file that verifies, else built from the
   embedded kernel sources; saved back to the cache once launches have compiled it fully. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ember_internal.h"
#include "runtime.h"

/* A cache file larger than this is not read (a program binary is a few MB). */
#define MAX_CACHE_FILE ((size_t)1 << 30)
/* Cache files a directory keeps: one per graph and device, so models updated over the air
   would otherwise pile up; past this the least recently used go. */
#define MAX_CACHE_FILES 32

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void append(char *text, size_t size, const char *line) {
    size_t used = strlen(text);
    if (used + 1 < size)
        snprintf(text + used, size - used, "%s%s", used > 0 ? "; " : "", line);
}

/* Each field goes in with its length first, so no two different field lists hash alike. */
static void key_field(ember_sha256 *h, const void *data, size_t size) {
    uint64_t length = size;
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(length >> (8 * i));
    ember_sha256_update(h, le, sizeof le);
    ember_sha256_update(h, data, size);
}

static void key_text(ember_sha256 *h, const char *text) {
    key_field(h, text, strlen(text));
}

static void program_key(const cld_program *prog, const cld_device *dev, uint8_t key[32]) {
    ember_sha256 h;
    ember_sha256_init(&h);
    key_field(&h, cld_program_source, cld_program_source_size);
    key_text(&h, prog->build_options);
    key_text(&h, dev->name);
    key_text(&h, dev->vendor);
    key_text(&h, dev->version);
    key_text(&h, dev->driver_version);
    key_text(&h, dev->platform_version);
    const uint32_t versions[3] = {EMBER_RUNTIME_VERSION, EMBER_DELEGATE_ABI_VERSION,
                                  CLD_CACHE_FORMAT_VERSION};
    key_field(&h, versions, sizeof versions);
    key_field(&h, prog->graph, sizeof prog->graph);
    ember_sha256_final(&h, key);
}

/* The whole file, malloc'ed; NULL (errno set) when it cannot be read. */
static uint8_t *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *bytes = NULL;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && st.st_size >= 0 && (uint64_t)st.st_size <= MAX_CACHE_FILE) {
        *size = (size_t)st.st_size;
        bytes = malloc(*size > 0 ? *size : 1);
        if (bytes != NULL && fread(bytes, 1, *size, f) != *size) {
            free(bytes);
            bytes = NULL;
            errno = EIO;
        }
    } else {
        errno = EFBIG;
    }
    fclose(f);
    return bytes;
}

static void build_log(cld_device *dev, cl_program program, char *out, size_t size) {
    size_t need = 0;
    out[0] = '\0';
    if (dev->cl.clGetProgramBuildInfo(program, dev->device, CL_PROGRAM_BUILD_LOG, 0, NULL,
                                      &need) != CL_SUCCESS || need == 0)
        return;
    char *log = malloc(need + 1);
    if (log == NULL)
        return;
    if (dev->cl.clGetProgramBuildInfo(program, dev->device, CL_PROGRAM_BUILD_LOG, need, log,
                                      NULL) == CL_SUCCESS) {
        log[need] = '\0';
        /* One line in a message: the log's lines joined. */
        for (char *p = log; *p != '\0'; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        snprintf(out, size, "%s", log);
    }
    free(log);
}

/* A program from a cache file that verified; NULL (and why in the report) when the driver
   refuses the binary. */
static cl_program from_binary(cld_program *prog, cld_device *dev, const uint8_t *binary,
                              size_t size) {
    cl_int binary_status = CL_SUCCESS, err = CL_SUCCESS;
    cl_program program = dev->cl.clCreateProgramWithBinary(dev->context, 1, &dev->device, &size,
                                                           &binary, &binary_status, &err);
    char line[CLD_PATH_SIZE + 128];
    if (program == NULL || err != CL_SUCCESS || binary_status != CL_SUCCESS) {
        if (err == CL_SUCCESS)
            err = binary_status;
        append(prog->report, sizeof prog->report,
               cld_format(line, sizeof line,
                          "cache file %s: clCreateProgramWithBinary: %d %s, rebuilt",
                          prog->cache_path, (int)err, cld_cl_error_name(err)));
        if (program != NULL)
            dev->cl.clReleaseProgram(program);
        return NULL;
    }
    err = dev->cl.clBuildProgram(program, 1, &dev->device, prog->build_options, NULL, NULL);
    if (err != CL_SUCCESS) {
        append(prog->report, sizeof prog->report,
               cld_format(line, sizeof line, "cache file %s: clBuildProgram: %d %s, rebuilt",
                          prog->cache_path, (int)err, cld_cl_error_name(err)));
        dev->cl.clReleaseProgram(program);
        return NULL;
    }
    return program;
}

static cl_program from_cache(cld_program *prog, cld_device *dev, const uint8_t key[32]) {
    char line[CLD_PATH_SIZE + 128];
    size_t size = 0;
    uint8_t *bytes = read_file(prog->cache_path, &size);
    if (bytes == NULL) {
        if (errno != ENOENT)
            append(prog->report, sizeof prog->report,
                   cld_format(line, sizeof line, "cache file %s: unreadable (%s), rebuilt",
                              prog->cache_path, strerror(errno)));
        return NULL;
    }
    size_t offset = 0, payload_size = 0;
    cld_cache_verdict verdict = cld_cache_parse(bytes, size, key, &offset, &payload_size);
    cl_program program = NULL;
    if (verdict != CLD_CACHE_OK)
        append(prog->report, sizeof prog->report,
               cld_format(line, sizeof line, "cache file %s: %s, rebuilt", prog->cache_path,
                          cld_cache_verdict_str(verdict)));
    else if ((program = from_binary(prog, dev, bytes + offset, payload_size)) != NULL) {
        prog->stored_size = payload_size;
        utimensat(AT_FDCWD, prog->cache_path, NULL, 0); /* used now: the last to evict */
    }
    free(bytes);
    return program;
}

static ember_status from_source(cld_program *prog, cld_device *dev, char *msg, size_t size) {
    const char *source = cld_program_source;
    cl_int err = CL_SUCCESS;
    prog->program = dev->cl.clCreateProgramWithSource(dev->context, 1, &source,
                                                      &cld_program_source_size, &err);
    if (prog->program == NULL || err != CL_SUCCESS) {
        cld_format(msg, size, "clCreateProgramWithSource: %d %s", (int)err,
                   cld_cl_error_name(err));
        prog->program = NULL;
        return EMBER_STATUS_UNSUPPORTED;
    }
    err = dev->cl.clBuildProgram(prog->program, 1, &dev->device, prog->build_options, NULL,
                                 NULL);
    if (err != CL_SUCCESS) {
        char log[512];
        build_log(dev, prog->program, log, sizeof log);
        cld_format(msg, size, "clBuildProgram (options \"%s\"): %d %s%s%s", prog->build_options,
                   (int)err, cld_cl_error_name(err), log[0] ? ": " : "", log);
        dev->cl.clReleaseProgram(prog->program);
        prog->program = NULL;
        return EMBER_STATUS_UNSUPPORTED;
    }
    return EMBER_STATUS_OK;
}

ember_status cld_program_open(cld_program *prog, cld_device *dev, const cld_options *options,
                              const uint8_t graph[32], char *msg, size_t size) {
    memset(prog, 0, sizeof *prog);
    memcpy(prog->graph, graph, sizeof prog->graph);
    snprintf(prog->build_options, sizeof prog->build_options, "-cl-std=CL1.2 %s%s%s",
             options->fp16 ? "-DREAL=half -DCLD_FP16=1" : "-DREAL=float",
             options->build_options[0] ? " " : "", options->build_options);
    double start = now_ms();
    char line[CLD_PATH_SIZE + 128];
    if (options->cache_dir[0] != '\0') {
        uint8_t key[32];
        program_key(prog, dev, key);
        char hex[65];
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", key[i]);
        int n = snprintf(prog->cache_path, sizeof prog->cache_path, "%s/%s.bin",
                         options->cache_dir, hex);
        if (n < 0 || (size_t)n >= sizeof prog->cache_path) {
            prog->cache_path[0] = '\0';
            append(prog->report, sizeof prog->report, "cache_dir too long, no cache");
        } else {
            prog->program = from_cache(prog, dev, key);
        }
    }
    if (prog->program != NULL) {
        append(prog->report, sizeof prog->report,
               cld_format(line, sizeof line, "program loaded from cache file %s in %.0f ms",
                          prog->cache_path, now_ms() - start));
        return EMBER_STATUS_OK;
    }
    ember_status status = from_source(prog, dev, msg, size);
    if (status == EMBER_STATUS_OK)
        append(prog->report, sizeof prog->report,
               cld_format(line, sizeof line, "program built from source in %.0f ms",
                          now_ms() - start));
    return status;
}

/* mkdir -p with owner-only permissions for what it creates (the cache holds code). */
static int make_dirs(const char *dir) {
    char path[CLD_PATH_SIZE];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* The program's binary for our one device, malloc'ed. */
static uint8_t *program_binary(cld_device *dev, cl_program program, size_t *size,
                               const char **failed, cl_int *err) {
    *err = dev->cl.clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof *size, size, NULL);
    if (*err != CL_SUCCESS || *size == 0) {
        *failed = "clGetProgramInfo(CL_PROGRAM_BINARY_SIZES)";
        return NULL;
    }
    uint8_t *binary = malloc(*size);
    if (binary == NULL) {
        *failed = "malloc";
        return NULL;
    }
    *err = dev->cl.clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof binary, &binary, NULL);
    if (*err != CL_SUCCESS) {
        *failed = "clGetProgramInfo(CL_PROGRAM_BINARIES)";
        free(binary);
        return NULL;
    }
    return binary;
}

/* Header and payload to a temporary file beside the target, then rename: a reader sees the
   old file or the whole new one, never a part. */
static const char *write_atomic(const char *path, const uint8_t *header, const uint8_t *payload,
                                size_t size) {
    char temp[CLD_PATH_SIZE + 16];
    snprintf(temp, sizeof temp, "%s.XXXXXX", path);
    int fd = mkstemp(temp);
    if (fd < 0)
        return "mkstemp";
    FILE *f = fdopen(fd, "wb");
    if (f == NULL) {
        close(fd);
        unlink(temp);
        return "fdopen";
    }
    bool ok = fwrite(header, 1, CLD_CACHE_HEADER_SIZE, f) == CLD_CACHE_HEADER_SIZE &&
              fwrite(payload, 1, size, f) == size;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        unlink(temp);
        return "write";
    }
    if (rename(temp, path) != 0) {
        unlink(temp);
        return "rename";
    }
    return NULL;
}

/* A cache file's name: 64 hex digits and ".bin". */
static bool is_cache_file(const char *name) {
    if (strlen(name) != 68 || strcmp(name + 64, ".bin") != 0)
        return false;
    for (int i = 0; i < 64; i++) {
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
            return false;
    }
    return true;
}

/* The least recently used cache file of dir and how many there are; oldest[0] = '\0' when
   none. */
static size_t oldest_cache_file(const char *dir, char *oldest, size_t size) {
    DIR *d = opendir(dir);
    size_t count = 0;
    struct timespec oldest_time = {0, 0};
    oldest[0] = '\0';
    for (struct dirent *e = d != NULL ? readdir(d) : NULL; e != NULL; e = readdir(d)) {
        char path[CLD_PATH_SIZE + 80];
        struct stat st;
        if (!is_cache_file(e->d_name) ||
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        count++;
        const bool older = st.st_mtim.tv_sec < oldest_time.tv_sec ||
                           (st.st_mtim.tv_sec == oldest_time.tv_sec &&
                            st.st_mtim.tv_nsec < oldest_time.tv_nsec);
        if (oldest[0] == '\0' || older) {
            snprintf(oldest, size, "%s", path);
            oldest_time = st.st_mtim;
        }
    }
    if (d != NULL)
        closedir(d);
    return count;
}

/* Removes the least recently used cache files of dir until MAX_CACHE_FILES are left. */
static void evict(cld_program *prog, const char *dir) {
    char oldest[CLD_PATH_SIZE + 80], line[CLD_PATH_SIZE + 128];
    while (oldest_cache_file(dir, oldest, sizeof oldest) > MAX_CACHE_FILES &&
           strcmp(oldest, prog->cache_path) != 0 && unlink(oldest) == 0)
        append(prog->report, sizeof prog->report,
               cld_format(line, sizeof line, "removed the least recently used cache file %s",
                          oldest));
}

void cld_program_save(cld_program *prog, cld_device *dev) {
    size_t size = 0;
    if (prog->program == NULL || prog->cache_path[0] == '\0' ||
        dev->cl.clGetProgramInfo(prog->program, CL_PROGRAM_BINARY_SIZES, sizeof size, &size,
                                 NULL) != CL_SUCCESS ||
        size == prog->stored_size)
        return;
    char line[CLD_PATH_SIZE + 128];
    char dir[CLD_PATH_SIZE];
    snprintf(dir, sizeof dir, "%s", prog->cache_path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir)
        *slash = '\0';
    if (make_dirs(dir) != 0) {
        append(prog->report, sizeof prog->report,
               cld_format(line, sizeof line, "cache directory %s: %s, not saved", dir,
                          strerror(errno)));
        return;
    }
    const char *failed = NULL;
    cl_int err = CL_SUCCESS;
    uint8_t *binary = program_binary(dev, prog->program, &size, &failed, &err);
    if (binary == NULL) {
        append(prog->report, sizeof prog->report,
               cld_format(line, sizeof line, "cache not saved: %s: %d %s", failed, (int)err,
                          cld_cl_error_name(err)));
        return;
    }
    uint8_t key[32];
    program_key(prog, dev, key);
    uint8_t header[CLD_CACHE_HEADER_SIZE];
    cld_cache_header(header, key, binary, size);
    failed = write_atomic(prog->cache_path, header, binary, size);
    free(binary);
    if (failed != NULL) {
        append(prog->report, sizeof prog->report,
               cld_format(line, sizeof line, "cache file %s not saved: %s: %s",
                          prog->cache_path, failed, strerror(errno)));
        return;
    }
    prog->stored_size = size;
    append(prog->report, sizeof prog->report,
           cld_format(line, sizeof line, "saved cache file %s (%zu bytes)", prog->cache_path,
                      size + CLD_CACHE_HEADER_SIZE));
    evict(prog, dir);
}

void cld_program_close(cld_program *prog, cld_device *dev) {
    if (prog->program != NULL)
        dev->cl.clReleaseProgram(prog->program);
    prog->program = NULL;
}
