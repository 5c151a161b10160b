/* src/io/json.c: the JSON reader declared in json.h (recursive descent, bounded depth). */
#include "json.h"

#include <stdlib.h>
#include <string.h>

typedef struct parser {
    const char *p, *end;
    const char *err;
    int         depth;
} parser;

static void skip_ws(parser *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
        ps->p++;
}

static mx_json *node_new(parser *ps, mx_json_type t) {
    mx_json *j = calloc(1, sizeof *j);
    if (!j) ps->err = "out of memory";
    else j->type = t;
    return j;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char *parse_string(parser *ps) {
    if (ps->p >= ps->end || *ps->p != '"') {
        ps->err = "expected a string";
        return NULL;
    }
    ps->p++;
    size_t cap = 16, n = 0;
    char *s = malloc(cap);
    if (!s) {
        ps->err = "out of memory";
        return NULL;
    }
    while (ps->p < ps->end && *ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p++;
        char buf[4];
        int k = 0;
        if (c == '\\') {
            if (ps->p >= ps->end) break;
            char e = *ps->p++;
            switch (e) {
            case 'n': buf[k++] = '\n'; break;
            case 't': buf[k++] = '\t'; break;
            case 'r': buf[k++] = '\r'; break;
            case 'b': buf[k++] = '\b'; break;
            case 'f': buf[k++] = '\f'; break;
            case 'u': {
                if (ps->end - ps->p < 4) goto bad;
                unsigned u = 0;
                for (int i = 0; i < 4; i++) {
                    int h = hexval(ps->p[i]);
                    if (h < 0) goto bad;
                    u = u * 16 + (unsigned)h;
                }
                ps->p += 4;
                if (u < 0x80) buf[k++] = (char)u;
                else if (u < 0x800) {
                    buf[k++] = (char)(0xc0 | (u >> 6));
                    buf[k++] = (char)(0x80 | (u & 0x3f));
                } else {
                    buf[k++] = (char)(0xe0 | (u >> 12));
                    buf[k++] = (char)(0x80 | ((u >> 6) & 0x3f));
                    buf[k++] = (char)(0x80 | (u & 0x3f));
                }
                break;
            }
            default: buf[k++] = e; break;
            }
        } else {
            buf[k++] = (char)c;
        }
        if (n + (size_t)k + 1 > cap) {
            cap *= 2;
            char *ns = realloc(s, cap);
            if (!ns) goto bad;
            s = ns;
        }
        memcpy(s + n, buf, (size_t)k);
        n += (size_t)k;
    }
    if (ps->p >= ps->end) goto bad;
    ps->p++; /* closing quote */
    s[n] = 0;
    return s;
bad:
    free(s);
    ps->err = "malformed string";
    return NULL;
}

static mx_json *parse_value(parser *ps);

static mx_json *parse_container(parser *ps, int is_obj) {
    mx_json *j = node_new(ps, is_obj ? MX_JSON_OBJ : MX_JSON_ARR);
    if (!j) return NULL;
    if (++ps->depth > 64) {
        ps->err = "nesting too deep";
        free(j);
        return NULL;
    }
    ps->p++;
    mx_json **tail = &j->child;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == (is_obj ? '}' : ']')) {
        ps->p++;
        ps->depth--;
        return j;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(ps);
        if (is_obj) {
            key = parse_string(ps);
            if (!key) goto fail;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                free(key);
                ps->err = "expected ':'";
                goto fail;
            }
            ps->p++;
        }
        mx_json *v = parse_value(ps);
        if (!v) {
            free(key);
            goto fail;
        }
        v->key = key;
        *tail = v;
        tail = &v->next;
        j->n++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == (is_obj ? '}' : ']')) {
            ps->p++;
            break;
        }
        ps->err = is_obj ? "expected ',' or '}'" : "expected ',' or ']'";
        goto fail;
    }
    ps->depth--;
    return j;
fail:
    mx_json_free(j);
    return NULL;
}

static mx_json *parse_value(parser *ps) {
    skip_ws(ps);
    if (ps->p >= ps->end) {
        ps->err = "unexpected end of input";
        return NULL;
    }
    char c = *ps->p;
    if (c == '{') return parse_container(ps, 1);
    if (c == '[') return parse_container(ps, 0);
    if (c == '"') {
        char *s = parse_string(ps);
        if (!s) return NULL;
        mx_json *j = node_new(ps, MX_JSON_STR);
        if (!j) {
            free(s);
            return NULL;
        }
        j->str = s;
        return j;
    }
    static const struct {
        const char *lit;
        mx_json_type t;
        double v;
    } lits[] = {{"true", MX_JSON_BOOL, 1}, {"false", MX_JSON_BOOL, 0}, {"null", MX_JSON_NULL, 0}};
    for (int i = 0; i < 3; i++) {
        size_t L = strlen(lits[i].lit);
        if ((size_t)(ps->end - ps->p) >= L && memcmp(ps->p, lits[i].lit, L) == 0) {
            ps->p += L;
            mx_json *j = node_new(ps, lits[i].t);
            if (j) j->num = lits[i].v;
            return j;
        }
    }
    /* number */
    char buf[64];
    size_t n = 0;
    int is_int = 1;
    while (ps->p < ps->end && n < sizeof buf - 1 &&
           (strchr("+-0123456789.eE", *ps->p) != NULL)) {
        if (strchr(".eE", *ps->p)) is_int = 0;
        buf[n++] = *ps->p++;
    }
    buf[n] = 0;
    char *endp = NULL;
    double v = n ? strtod(buf, &endp) : 0;
    if (!n || !endp || *endp) {
        ps->err = "invalid value";
        return NULL;
    }
    mx_json *j = node_new(ps, MX_JSON_NUM);
    if (!j) return NULL;
    j->num = v;
    if (is_int) {
        j->is_int = 1;
        j->inum = strtoll(buf, NULL, 10);
    }
    return j;
}

mx_json *mx_json_parse(const char *text, size_t len, const char **err) {
    parser ps = {text, text + len, NULL, 0};
    mx_json *root = parse_value(&ps);
    if (root) {
        skip_ws(&ps);
        if (ps.p != ps.end) {
            mx_json_free(root);
            root = NULL;
            ps.err = "trailing characters after the JSON value";
        }
    }
    if (!root && err) *err = ps.err ? ps.err : "invalid JSON";
    return root;
}

void mx_json_free(mx_json *j) {
    /* siblings iteratively, children recursively (depth is bounded at parse time) */
    while (j) {
        mx_json *nx = j->next;
        mx_json_free(j->child);
        free(j->str);
        free(j->key);
        free(j);
        j = nx;
    }
}

mx_json *mx_json_get(const mx_json *obj, const char *key) {
    if (!obj || obj->type != MX_JSON_OBJ) return NULL;
    for (mx_json *c = obj->child; c; c = c->next)
        if (c->key && strcmp(c->key, key) == 0) return c;
    return NULL;
}
