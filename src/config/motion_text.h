/* A motion as text, as scene files and OSC /source/NAME/motion write it.
 * Control thread. */
#ifndef TINGLE_MOTION_TEXT_H
#define TINGLE_MOTION_TEXT_H

#include <stddef.h>

#include "rt/motion.h"

/* "orbit DEG_PER_S" | "wander DEG [SECONDS]" | "sweep AZ EL DIST SECONDS" |
 * "none" (words in any case; azimuth also front, left, right, behind;
 * elevation also above, below, level). Returns 0 and fills *out, or -1
 * with a message in err that quotes the text and says what was expected;
 * *out is untouched then. Control thread. */
int motion_parse(const char *text, struct motion_spec *out, char *err, size_t errlen);

/* The spec as text that motion_parse reads back to the same spec (shortest
 * decimals that do; wander leaves out the default period). */
void motion_format(const struct motion_spec *m, char *out, size_t n);

#endif
