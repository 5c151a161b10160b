/* src/transforms/rules_random.c: derivative and vmap rules of the random family (src/prims/random.def). */
#include "rules.h"

void mx_grad_register_random(mx_rules *r) { (void)r; }
