/* src/backend/cpu/cpu.c: the CPU backend: its kernel table, filled once by every family. */
#include <pthread.h>

#include "cpu_impl.h"

static mx_backend     cpu = {.name = "cpu"};
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void) {
#define MX_CPU_FAMILY(fam) mx_cpu_register_##fam(cpu.kernels);
#include "families.def"
#undef MX_CPU_FAMILY
}

const mx_backend *mx_cpu_backend(void) {
    pthread_once(&once, init);
    return &cpu;
}
