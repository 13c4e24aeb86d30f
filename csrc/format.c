/* Message formatting. Hosted builds use vsnprintf; bare-metal builds format with the small
 * printf below, so that the library links no libc printf (newlib's costs tens of KB of flash).
 * It knows what the library's messages use: %s %c %d %i %u %x %p %g and %%, the length
 * modifiers l, ll and z, a precision for %g and %s, a width with the 0 and - flags. Floats
 * come out with the digits %g gives, within a unit of the last digit (the scaling by ten is
 * not correctly rounded), which is plenty for a message. */
#include <stdarg.h>
#include <string.h>

#include "ember_internal.h"

#ifndef EMBER_OWN_FORMAT
#define EMBER_OWN_FORMAT EMBER_BARE_METAL
#endif

#if !EMBER_OWN_FORMAT
#include <stdio.h>

size_t ember_vformat(char *buf, size_t size, const char *fmt, va_list args) {
    if (size == 0)
        return 0;
    int n = vsnprintf(buf, size, fmt, args);
    if (n < 0) {
        buf[0] = '\0';
        return 0;
    }
    return (size_t)n < size ? (size_t)n : size - 1;
}

#else

/* The output so far: never more than size - 1 characters, always NUL-terminated. */
struct sink {
    char *buf;
    size_t size;
    size_t used;
};

static void put(struct sink *s, char c) {
    if (s->used + 1 < s->size)
        s->buf[s->used++] = c;
}

struct spec {
    bool left;      /* '-' */
    bool zero;      /* '0' */
    int width;
    int precision;  /* -1: none */
};

static void put_padded(struct sink *s, const struct spec *sp, const char *text, size_t len) {
    size_t pad = sp->width > 0 && (size_t)sp->width > len ? (size_t)sp->width - len : 0;
    char fill = sp->zero && !sp->left ? '0' : ' ';
    size_t start = 0;
    if (fill == '0' && len > 0 && text[0] == '-') {
        put(s, '-');
        start = 1;
    }
    for (size_t i = 0; !sp->left && i < pad; i++)
        put(s, fill);
    for (size_t i = start; i < len; i++)
        put(s, text[i]);
    for (size_t i = 0; sp->left && i < pad; i++)
        put(s, ' ');
}

/* Digits of v in `base`, right-aligned in out[0..24); returns the first digit's index. */
static size_t unsigned_digits(unsigned long long v, unsigned base, char out[24]) {
    size_t i = 24;
    do {
        out[--i] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v != 0);
    return i;
}

static void put_integer(struct sink *s, const struct spec *sp, unsigned long long magnitude,
                        bool negative, unsigned base) {
    char digits[24];
    char text[26];
    size_t first = unsigned_digits(magnitude, base, digits);
    size_t len = 0;
    if (negative)
        text[len++] = '-';
    while (first < 24)
        text[len++] = digits[first++];
    put_padded(s, sp, text, len);
}

/* v > 0 as mantissa digits (precision of them) and a decimal exponent. */
static unsigned long long significant_digits(double v, int precision, int *exponent) {
    int e = 0;
    while (v >= 10.0) {
        v /= 10.0;
        e++;
    }
    while (v < 1.0) {
        v *= 10.0;
        e--;
    }
    unsigned long long limit = 1;
    for (int i = 1; i < precision; i++)
        v *= 10.0, limit *= 10;
    unsigned long long r = (unsigned long long)(v + 0.5);
    if (r >= limit * 10) {
        r /= 10;
        e++;
    }
    *exponent = e;
    return r;
}

static void put_float(struct sink *s, const struct spec *sp, double v) {
    char text[48];
    size_t len = 0;
    if (v != v) {
        put_padded(s, sp, "nan", 3);
        return;
    }
    if (v < 0) {
        text[len++] = '-';
        v = -v;
    }
    if (v > 1.7976931348623157e308) {
        memcpy(text + len, "inf", 3);
        put_padded(s, sp, text, len + 3);
        return;
    }
    int precision = sp->precision < 0 ? 6 : sp->precision == 0 ? 1 : sp->precision;
    if (precision > 17)
        precision = 17;
    int e = 0;
    char digits[24];
    size_t first = 23;
    digits[23] = '0';
    if (v != 0.0)
        first = unsigned_digits(significant_digits(v, precision, &e), 10, digits);
    size_t count = 24 - first;
    while (count > 1 && digits[first + count - 1] == '0')
        count--; /* %g drops trailing zeros */
    const char *d = digits + first;
    if (e < -4 || e >= precision) {
        text[len++] = d[0];
        if (count > 1)
            text[len++] = '.';
        for (size_t i = 1; i < count; i++)
            text[len++] = d[i];
        text[len++] = 'e';
        text[len++] = e < 0 ? '-' : '+';
        unsigned mag = (unsigned)(e < 0 ? -e : e);
        if (mag < 10)
            text[len++] = '0';
        char exp_digits[24];
        for (size_t i = unsigned_digits(mag, 10, exp_digits); i < 24; i++)
            text[len++] = exp_digits[i];
    } else if (e < 0) {
        text[len++] = '0';
        text[len++] = '.';
        for (int i = -1; i > e; i--)
            text[len++] = '0';
        for (size_t i = 0; i < count; i++)
            text[len++] = d[i];
    } else {
        for (size_t i = 0; i < count || (int)i <= e; i++) {
            if ((int)i == e + 1)
                text[len++] = '.';
            text[len++] = i < count ? d[i] : '0';
        }
    }
    put_padded(s, sp, text, len);
}

static const char *parse_spec(const char *p, struct spec *sp, va_list *args) {
    *sp = (struct spec){false, false, 0, -1};
    for (;; p++) {
        if (*p == '-')
            sp->left = true;
        else if (*p == '0')
            sp->zero = true;
        else
            break;
    }
    if (*p == '*') {
        sp->width = va_arg(*args, int);
        p++;
    }
    while (*p >= '0' && *p <= '9')
        sp->width = sp->width * 10 + (*p++ - '0');
    if (*p == '.') {
        p++;
        sp->precision = 0;
        if (*p == '*') {
            sp->precision = va_arg(*args, int);
            p++;
        }
        while (*p >= '0' && *p <= '9')
            sp->precision = sp->precision * 10 + (*p++ - '0');
    }
    return p;
}

/* One conversion at p (after the spec); returns the character after it. */
static const char *convert(struct sink *s, const char *p, const struct spec *sp, va_list *args) {
    int longs = 0;
    bool size = false;
    for (; *p == 'l' || *p == 'z'; p++) {
        if (*p == 'z')
            size = true;
        else
            longs++;
    }
    switch (*p) {
    case 'd':
    case 'i': {
        long long v = size ? (long long)va_arg(*args, ptrdiff_t)
                    : longs >= 2 ? va_arg(*args, long long)
                    : longs == 1 ? va_arg(*args, long)
                                 : va_arg(*args, int);
        unsigned long long mag = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
        put_integer(s, sp, mag, v < 0, 10);
        break;
    }
    case 'u':
    case 'x': {
        unsigned long long v = size ? va_arg(*args, size_t)
                             : longs >= 2 ? va_arg(*args, unsigned long long)
                             : longs == 1 ? va_arg(*args, unsigned long)
                                          : va_arg(*args, unsigned);
        put_integer(s, sp, v, false, *p == 'x' ? 16 : 10);
        break;
    }
    case 'p':
        put(s, '0');
        put(s, 'x');
        put_integer(s, sp, (uintptr_t)va_arg(*args, void *), false, 16);
        break;
    case 'g':
        put_float(s, sp, va_arg(*args, double));
        break;
    case 'c': {
        char c = (char)va_arg(*args, int);
        put_padded(s, sp, &c, 1);
        break;
    }
    case 's': {
        const char *str = va_arg(*args, const char *);
        if (str == NULL)
            str = "(null)";
        size_t len = 0;
        while (str[len] != '\0' && (sp->precision < 0 || len < (size_t)sp->precision))
            len++;
        put_padded(s, sp, str, len);
        break;
    }
    case '%':
        put(s, '%');
        break;
    default: /* not a conversion the library uses: show it as written */
        put(s, '%');
        if (*p == '\0')
            return p;
        put(s, *p);
        break;
    }
    return p + 1;
}

size_t ember_vformat(char *buf, size_t size, const char *fmt, va_list args) {
    if (size == 0)
        return 0;
    struct sink s = {buf, size, 0};
    va_list ap;
    va_copy(ap, args);
    for (const char *p = fmt; *p != '\0';) {
        if (*p != '%') {
            put(&s, *p++);
            continue;
        }
        struct spec sp;
        p = convert(&s, parse_spec(p + 1, &sp, &ap), &sp, &ap);
    }
    va_end(ap);
    buf[s.used] = '\0';
    return s.used;
}

#endif /* EMBER_OWN_FORMAT */

size_t ember_format(char *buf, size_t size, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    size_t n = ember_vformat(buf, size, fmt, args);
    va_end(args);
    return n;
}
