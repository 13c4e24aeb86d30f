# Cortex-M55 (ARMv8.1-M): Helium (MVE, integer and float), DSP extension, hard-float ABI.
set(EMBER_CPU_FLAGS "-mcpu=cortex-m55 -mfloat-abi=hard")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
