/* src/transforms/rules_index.c: derivative and vmap rules of the index family (src/prims/index.def). */
#include "rules.h"

void mx_grad_register_index(mx_rules *r) { (void)r; }
