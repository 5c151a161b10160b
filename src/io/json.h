/* src/io/json.h: a small JSON reader (objects, arrays, strings with escapes, numbers, literals)
 * for file headers (safetensors, later tokenizer/config files). Parses into a tree of nodes in one
 * malloc'd arena; every error is reported, never a crash on malformed input. */
#ifndef MX_JSON_H
#define MX_JSON_H

#include <stddef.h>
#include <stdint.h>

typedef enum { MX_JSON_NULL, MX_JSON_BOOL, MX_JSON_NUM, MX_JSON_STR, MX_JSON_ARR, MX_JSON_OBJ } mx_json_type;

typedef struct mx_json mx_json;
struct mx_json {
    mx_json_type type;
    double       num;   /* NUM (and BOOL: 0/1) */
    int64_t      inum;  /* NUM when it is an exact integer */
    int          is_int;
    char        *str;   /* STR: NUL-terminated, unescaped (UTF-8) */
    char        *key;   /* member name when inside an object */
    mx_json     *child; /* ARR/OBJ: first element */
    mx_json     *next;  /* next sibling */
    int          n;     /* ARR/OBJ: number of elements */
};

/* Parse text[0..len). Returns the root or NULL with *err set to a static message. Free with
 * mx_json_free. Depth is limited (64) so hostile input cannot exhaust the stack. */
mx_json *mx_json_parse(const char *text, size_t len, const char **err);
void     mx_json_free(mx_json *root);
mx_json *mx_json_get(const mx_json *obj, const char *key);

#endif
