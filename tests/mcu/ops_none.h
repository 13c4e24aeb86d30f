/* The ops header of the size report's "core" configuration: no op at all (mk/mcu.mk). */
#define EMBER_OPS_SELECTED 1
