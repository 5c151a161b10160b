/* src/transforms/rules_sort.c: derivative and vmap rules of the sort family (src/prims/sort.def). */
#include "rules.h"

void mx_grad_register_sort(mx_rules *r) { (void)r; }
