/* Limits on what tingle reads, in one place: how large a file, how long a
 * line, which sample rates and how long a sample. Each comes with the
 * text the messages use, so that a message and the limit never differ.
 * (Older ranges still live next to their keys; they move here when they
 * are touched.) */
#ifndef TINGLE_LIMITS_H
#define TINGLE_LIMITS_H

/* A configuration or scene file: at most 1 MiB. Anything larger is not
 * something a person wrote (a log, /dev/zero, an audio file named by
 * mistake); reading it would only waste memory and time. */
#define TINGLE_TEXT_FILE_MAX_BYTES (1024L * 1024L)
#define TINGLE_TEXT_FILE_MAX_TEXT "1 MiB"

/* The longest line the INI reader keeps (the buffer size, line end and
 * terminating NUL included). inih's own buffer is the tighter limit
 * (198 characters with Debian's libinih). */
#define TINGLE_LINE_MAX 1024

/* Sample rates of sample files, and of the engine (the JACK server's
 * rate, tingle-render -r): 8 kHz to 384 kHz, everywhere: HRTF sets are
 * prepared, generators synthesised, loudness measured and files read
 * within these only. libmysofa does not resample below 8 kHz. */
#define TINGLE_RATE_MIN 8000
#define TINGLE_RATE_MAX 384000

/* How long one sample file may last: 10 minutes. What is kept in memory
 * is at most this long at the engine's rate (about 115 MB at 48 kHz). */
#define TINGLE_SAMPLE_MAX_SECONDS 600

/* A SOFA (HRTF) file: at most 1 GiB. The largest real sets are tens of
 * MB; anything near this is not an HRTF set, and libmysofa would read it
 * all into memory. */
#define TINGLE_SOFA_FILE_MAX_BYTES (1024LL * 1024LL * 1024LL)
#define TINGLE_SOFA_FILE_MAX_TEXT "1024 MiB"

/* The direction table an HRTF set is looked up through: one entry per
 * whole degree of azimuth (0..359) and elevation (-90..90). Built off the
 * audio thread (src/prep/hrtf.c), read on it (src/rt/engine.c). */
#define HRTF_GRID_AZ 360
#define HRTF_GRID_EL 181

/* How many live inputs a configuration may have ([input NAME] sections),
 * how many sources the engine may set up ([engine] sources: every live
 * input, every [source] of the loaded scenes, every place of a scattered
 * sound) and how many voices ([engine] voices). The configuration says
 * how many are used; these only keep a typing mistake from asking for
 * gigabytes. The configuration and each scene description hold arrays
 * of TINGLE_INPUTS_MAX inputs (src/config/conf.h, scene.h). */
#define TINGLE_INPUTS_MAX 1024
#define TINGLE_SOURCES_MAX 4096
#define TINGLE_VOICES_MAX 4096

/* Gains in dB (master, inputs, sources, sounds, bindings, sessions), and
 * room sends (below the minimum: off). */
#define TINGLE_GAIN_DB_MIN (-120.0f)
#define TINGLE_GAIN_DB_MAX 24.0f
#define TINGLE_SEND_DB_MAX 12.0f

#endif
