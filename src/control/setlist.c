/* Control threads: the scenes of a show. */
#include "config.h"
#include "control/setlist.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/util.h"
#include "control/control.h"
#include "config/inifile.h"
#include "config/scene.h"
#include "prep/scene_build.h"

static const char *scenes_dir(const struct setlist *sl)
{
	return sl->dir[0] ? sl->dir : sl->bundled;
}

static int by_name(const void *a, const void *b) { return strcmp(a, b); }

/* Where [scenes] dir was set, for messages: "FILE:LINE: [scenes] dir: ",
 * or "" when it was not set in a file. */
static void dir_where(const struct tingle_conf *conf, char *out, size_t n)
{
	if (conf->scenes_dir_line > 0 && conf->path[0])
		snprintf(out, n, "%s:%d: [scenes] dir: ", conf->path, conf->scenes_dir_line);
	else
		out[0] = '\0';
}

/* The configured scenes folder must be there: a mistyped dir would
 * otherwise be a show with no scenes, "0 checked ... ok". */
static int check_dir(const struct tingle_conf *conf, char *err, size_t errlen)
{
	char where[PATH_MAX + 64];
	struct stat sb;
	if (!conf->scenes_dir[0])
		return 0; /* the bundled scenes: there when installed */
	dir_where(conf, where, sizeof where);
	if (stat(conf->scenes_dir, &sb) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			snprintf(err, errlen, "%sdoes not exist (got '%s', expected a directory of NAME.scene files)",
				 where, conf->scenes_dir);
		else
			snprintf(err, errlen, "%s%s: %s", where, conf->scenes_dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%snot a directory (got '%s', expected a directory of NAME.scene files)",
			 where, conf->scenes_dir);
		return -1;
	}
	return 0;
}

/* Every NAME.scene of dir, sorted, into *names (*n of them). A folder
 * that is missing is no scenes when it is the bundled one (not installed);
 * any other failure is an error. */
static int list_dir(const struct tingle_conf *conf, const char *dir, char (**names)[CONF_NAME_MAX],
		    size_t *count, char *err, size_t errlen)
{
	char where[PATH_MAX + 64];
	*count = 0;
	dir_where(conf, where, sizeof where);
	DIR *d = opendir(dir);
	if (!d) {
		if (!conf->scenes_dir[0] && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s%s: %s", where, dir, strerror(errno));
		return -1;
	}
	size_t n = 0, cap = 0;
	struct dirent *de;
	int rc = 0;
	for (;;) {
		errno = 0;
		if (!(de = readdir(d))) {
			if (errno) {
				snprintf(err, errlen, "%s%s: %s", where, dir, strerror(errno));
				rc = -1;
			}
			break;
		}
		size_t len = strlen(de->d_name);
		if (len <= 6 || strcmp(de->d_name + len - 6, ".scene") || len - 6 >= CONF_NAME_MAX)
			continue;
		char name[CONF_NAME_MAX];
		memcpy(name, de->d_name, len - 6);
		name[len - 6] = '\0';
		if (!conf_valid_name(name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			void *p = realloc(*names, cap * sizeof **names);
			if (!p) {
				snprintf(err, errlen, "%s: %s", dir, strerror(ENOMEM));
				rc = -1;
				break;
			}
			*names = p;
		}
		str_copy((*names)[n++], CONF_NAME_MAX, name);
	}
	closedir(d);
	if (rc < 0)
		return -1;
	if (n)
		qsort(*names, n, sizeof **names, by_name);
	*count = n;
	return 0;
}

struct setlist *setlist_new(const struct tingle_conf *conf, struct control *ctl, struct engine_queue *q,
			    unsigned rate, uint64_t seed, char *err, size_t errlen)
{
	if (check_dir(conf, err, errlen) < 0)
		return NULL;
	struct setlist *sl = calloc(1, sizeof *sl);
	if (!sl) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sl->ctl = ctl;
	sl->q = q;
	sl->rate = rate;
	sl->seed = seed;
	sl->conf = conf;
	sl->preload = conf->preload;
	sl->current = -1;
	str_copy(sl->dir, sizeof sl->dir, conf->scenes_dir);
	snprintf(sl->bundled, sizeof sl->bundled, "%s/scenes", tingle_datadir());
	if (conf->n_setlist) {
		sl->names = calloc(conf->n_setlist, sizeof *sl->names);
		if (!sl->names) {
			free(sl);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		for (size_t i = 0; i < conf->n_setlist; i++)
			str_copy(sl->names[i], CONF_NAME_MAX, conf->setlist[i]);
		sl->n_names = conf->n_setlist;
	} else if (list_dir(conf, scenes_dir(sl), &sl->names, &sl->n_names, err, errlen) < 0) {
		free(sl->names);
		free(sl);
		return NULL;
	}
	return sl;
}

static void unload_at(struct setlist *sl, size_t k)
{
	scene_unload(sl->loaded[k], sl->ctl);
	sl->n_loaded--;
	sl->loaded[k] = sl->loaded[sl->n_loaded];
	memcpy(sl->loaded_path[k], sl->loaded_path[sl->n_loaded], PATH_MAX);
}

void setlist_free(struct setlist *sl)
{
	if (!sl)
		return;
	for (size_t k = sl->n_loaded; k-- > 0;)
		unload_at(sl, k);
	free(sl->names);
	free(sl);
}

static struct loaded_scene *find_loaded(struct setlist *sl, const char *path)
{
	for (size_t k = 0; k < sl->n_loaded; k++)
		if (!strcmp(sl->loaded_path[k], path))
			return sl->loaded[k];
	return NULL;
}

static struct loaded_scene *get(struct setlist *sl, const char *path, char *err, size_t errlen)
{
	struct loaded_scene *ls = find_loaded(sl, path);
	if (ls)
		return ls;
	if (sl->n_loaded == SETLIST_MAX_LOADED) {
		snprintf(err, errlen, "%s: too many scenes loaded at once", path);
		return NULL;
	}
	ls = setlist_load(path, sl->conf, sl->rate, sl->seed, sl->ctl, err, errlen);
	if (!ls)
		return NULL;
	str_copy(sl->loaded_path[sl->n_loaded], PATH_MAX, path);
	sl->loaded[sl->n_loaded++] = ls;
	return ls;
}

static int load_index(struct setlist *sl, size_t i, struct loaded_scene **out, char *err, size_t errlen)
{
	char path[PATH_MAX];
	if (!scene_resolve(sl->names[i], sl->dir, path, sizeof path, err, errlen))
		return -1;
	struct loaded_scene *ls = get(sl, path, err, errlen);
	if (!ls)
		return -1;
	if (out)
		*out = ls;
	return 0;
}

/* With preload = next, only the playing scene and its neighbours stay. */
static void trim(struct setlist *sl)
{
	if (sl->preload == CONF_PRELOAD_ALL || sl->current < 0)
		return;
	for (size_t k = sl->n_loaded; k-- > 0;) {
		struct loaded_scene *ls = sl->loaded[k];
		if (ls == sl->playing || ls->in_engine)
			continue;
		bool near = false;
		for (int d = -1; d <= 1; d += 2) {
			size_t i = (size_t)((sl->current + d + (int)sl->n_names) % (int)sl->n_names);
			char path[PATH_MAX], e[256];
			if (scene_resolve(sl->names[i], sl->dir, path, sizeof path, e, sizeof e) &&
			    !strcmp(path, sl->loaded_path[k]))
				near = true;
		}
		if (!near)
			unload_at(sl, k);
	}
}

int setlist_preload(struct setlist *sl, char *err, size_t errlen)
{
	if (sl->preload == CONF_PRELOAD_ALL) {
		for (size_t i = 0; i < sl->n_names; i++)
			if (load_index(sl, i, NULL, err, errlen) < 0)
				return -1;
		return 0;
	}
	if (sl->current >= 0 && sl->n_names > 1) {
		size_t next = (size_t)(sl->current + 1) % sl->n_names;
		if (load_index(sl, next, NULL, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* The file a switch would go to and its setlist index *at (-1 when it
 * is not in the setlist). */
static int resolve(struct setlist *sl, const char *name_or_file, bool allow_files, int index, int step,
		   char *path, size_t n, int *at_out, char *err, size_t errlen)
{
	int at = -1;
	if (name_or_file && *name_or_file) {
		for (size_t i = 0; i < sl->n_names; i++)
			if (!strcmp(sl->names[i], name_or_file))
				at = (int)i;
		bool is_file = strchr(name_or_file, '/') || strstr(name_or_file, ".scene");
		if (is_file && !allow_files) {
			snprintf(err, errlen, "scene '%s': only names of scenes in %s", name_or_file,
				 scenes_dir(sl));
			return -1;
		}
		if (!scene_resolve(name_or_file, sl->dir, path, n, err, errlen))
			return -1;
		/* A file that is a scene of the setlist (the scene playing, asked
		 * for again after a reload) keeps its place in it, so that next
		 * and previous go on from there. */
		for (size_t i = 0; at < 0 && is_file && i < sl->n_names; i++) {
			char p[PATH_MAX], e[64];
			if (scene_resolve(sl->names[i], sl->dir, p, sizeof p, e, sizeof e) && !strcmp(p, path))
				at = (int)i;
		}
	} else {
		if (!sl->n_names) {
			snprintf(err, errlen, "no scenes in the setlist (and none in %s)", scenes_dir(sl));
			return -1;
		}
		if (index >= 0) {
			if ((size_t)index >= sl->n_names) {
				snprintf(err, errlen, "scene %d: the setlist has %zu scenes (0..%zu)", index,
					 sl->n_names, sl->n_names - 1);
				return -1;
			}
			at = index;
		} else {
			int count = (int)sl->n_names;
			at = sl->current < 0 ? (step > 0 ? 0 : count - 1) : ((sl->current + step) % count + count) % count;
		}
		if (!scene_resolve(sl->names[at], sl->dir, path, n, err, errlen))
			return -1;
	}
	*at_out = at;
	return 0;
}

/* The scene a switch would go to, loaded: *ls and its setlist index *at. */
static int pick(struct setlist *sl, const char *name_or_file, bool allow_files, int index, int step,
		struct loaded_scene **out, int *at_out, char *err, size_t errlen)
{
	char path[PATH_MAX];
	if (resolve(sl, name_or_file, allow_files, index, step, path, sizeof path, at_out, err, errlen) < 0)
		return -1;
	*out = get(sl, path, err, errlen);
	return *out ? 0 : -1;
}

int setlist_target(struct setlist *sl, const char *name_or_file, bool allow_files, int index, int step,
		   char *path, size_t n, char *err, size_t errlen)
{
	int at;
	if (resolve(sl, name_or_file, allow_files, index, step, path, n, &at, err, errlen) < 0)
		return -1;
	return find_loaded(sl, path) ? 1 : 0;
}

struct loaded_scene *setlist_load(const char *path, const struct tingle_conf *conf, unsigned rate,
				  uint64_t seed, struct control *ctl, char *err, size_t errlen)
{
	struct loaded_scene *ls = NULL;
	struct scene_desc *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (scene_parse(path, conf, d, err, errlen) < 0 || scene_build(d, rate, seed, ctl, &ls, err, errlen) < 0) {
		scene_desc_free(d);
		free(d);
		return NULL;
	}
	free(d);
	log_info("scene %s loaded from %s: %zu sounds, %.1f MB", ls->desc.name, path, ls->desc.n_sounds,
		 (double)ls->bytes / 1e6);
	return ls;
}

bool setlist_adopt(struct setlist *sl, const char *path, struct loaded_scene *ls)
{
	if (find_loaded(sl, path) || sl->n_loaded == SETLIST_MAX_LOADED) {
		scene_unload(ls, sl->ctl);
		return false;
	}
	str_copy(sl->loaded_path[sl->n_loaded], PATH_MAX, path);
	sl->loaded[sl->n_loaded++] = ls;
	return true;
}

bool setlist_wanted(struct setlist *sl, char *path, size_t n)
{
	char err[512];
	for (size_t i = 0; i < sl->n_names; i++) {
		bool want = sl->preload == CONF_PRELOAD_ALL ||
			    (sl->current >= 0 && sl->n_names > 1 && i == (size_t)(sl->current + 1) % sl->n_names);
		if (want && scene_resolve(sl->names[i], sl->dir, path, n, err, sizeof err) && !find_loaded(sl, path))
			return true;
	}
	return false;
}

int setlist_prepare(struct setlist *sl, const char *name_or_file, bool allow_files, int index, int step,
		    char *err, size_t errlen)
{
	struct loaded_scene *ls;
	int at;
	return pick(sl, name_or_file, allow_files, index, step, &ls, &at, err, errlen);
}

int setlist_switch(struct setlist *sl, const char *name_or_file, bool allow_files, int index, int step,
		   char *err, size_t errlen)
{
	struct loaded_scene *ls = NULL;
	int at = -1;
	if (pick(sl, name_or_file, allow_files, index, step, &ls, &at, err, errlen) < 0)
		return -1;
	if (ls == sl->playing)
		return 0;
	if (control_set_scene(sl->ctl, sl->q, ls, err, errlen) < 0)
		return -1;
	sl->playing = ls;
	sl->current = at;
	control_set_scene_index(sl->ctl, at);
	log_info("scene %s", ls->desc.name);
	trim(sl);
	char e2[1024];
	if (!sl->preload_elsewhere && setlist_preload(sl, e2, sizeof e2) < 0)
		log_error("%s", e2);
	return 0;
}

bool setlist_released(struct setlist *sl, const void *eng_scene)
{
	for (size_t k = 0; k < sl->n_loaded; k++) {
		struct loaded_scene *ls = sl->loaded[k];
		if ((const void *)ls->eng != eng_scene)
			continue;
		control_scene_released(sl->ctl, sl->q, ls);
		trim(sl);
		return true;
	}
	return false;
}

void setlist_drop_idle(struct setlist *sl)
{
	for (size_t k = sl->n_loaded; k-- > 0;)
		if (!sl->loaded[k]->in_engine)
			unload_at(sl, k);
	sl->playing = NULL;
	sl->current = -1;
}

size_t setlist_in_engine(const struct setlist *sl)
{
	size_t n = 0;
	for (size_t k = 0; k < sl->n_loaded; k++)
		n += sl->loaded[k]->in_engine;
	return n;
}

const char *setlist_playing_name(const struct setlist *sl)
{
	return sl->playing ? sl->playing->desc.name : "";
}

const char *setlist_playing_path(const struct setlist *sl)
{
	for (size_t k = 0; sl->playing && k < sl->n_loaded; k++)
		if (sl->loaded[k] == sl->playing)
			return sl->loaded_path[k];
	return "";
}

/* A scene's bindings that name scenes name ones that exist; found[i]:
 * the configuration's binding i names a sound or source of this scene. */
static int check_binds(struct setlist *sl, const struct tingle_conf *conf, const struct scene_desc *d,
		       bool *found, char *err, size_t errlen)
{
	char path[PATH_MAX], why[512];
	for (size_t i = 0; i < d->n_binds; i++) {
		const struct conf_bind *b = &d->binds[i];
		if (b->kind == BIND_SCENE && !scene_resolve(b->target, sl->dir, path, sizeof path, why, sizeof why)) {
			ini_set_err(err, errlen, "%s:%d: [bind] %s: %s", d->path, b->line, b->control, why);
			return -1;
		}
	}
	for (size_t i = 0; i < conf->n_binds; i++) {
		const struct conf_bind *b = &conf->binds[i];
		if (b->kind == BIND_TRIGGER || b->kind == BIND_RELEASE) {
			for (size_t k = 0; k < d->n_sounds; k++)
				found[i] |= !strcmp(d->sounds[k].name, b->target);
		} else if (b->kind == BIND_VALUE || b->kind == BIND_XY) {
			for (size_t k = 0; k < d->n_sources; k++)
				found[i] |= !strcmp(d->sources[k].name, b->target);
		} else if (b->kind == BIND_SCENE && !found[i]) {
			if (!scene_resolve(b->target, sl->dir, path, sizeof path, why, sizeof why)) {
				ini_set_err(err, errlen, "%s:%d: [bind] %s: %s", conf->path[0] ? conf->path : "built-in defaults",
					    b->line, b->control, why);
				return -1;
			}
			found[i] = true;
		}
	}
	return 0;
}

int setlist_check(const struct tingle_conf *conf, const char *extra, unsigned rate, struct control *ctl,
		  size_t *count, char *err, size_t errlen)
{
	bool found[CONF_MAX_BINDS] = { false };
	struct setlist *sl = setlist_new(conf, ctl, NULL, rate, 0, err, errlen);
	if (!sl)
		return -1;
	sl->preload = CONF_PRELOAD_ALL;
	int rc = 0;
	*count = 0;
	/* Every scene of the setlist, then [scenes] start and -s. */
	const char *more[2] = { conf->start[0] ? conf->start : NULL, extra };
	for (size_t i = 0; i < sl->n_names + 2 && rc == 0; i++) {
		char path[PATH_MAX];
		const char *what = i < sl->n_names ? sl->names[i] : more[i - sl->n_names];
		if (!what)
			continue;
		bool again = false;
		for (size_t k = 0; i >= sl->n_names && k < sl->n_names; k++)
			again |= !strcmp(sl->names[k], what);
		if (again)
			continue; /* a setlist scene, checked already */
		if (!scene_resolve(what, sl->dir, path, sizeof path, err, errlen) ||
		    !get(sl, path, err, errlen)) {
			rc = -1;
			break;
		}
		(*count)++;
		const struct scene_desc *d = &sl->loaded[sl->n_loaded - 1]->desc;
		rc = check_binds(sl, conf, d, found, err, errlen);
		/* Checked: free it again, so a long setlist needs no more memory
		 * than its largest scene. */
		unload_at(sl, sl->n_loaded - 1);
	}
	/* The configuration's bindings name sounds and sources of some scene. */
	for (size_t i = 0; i < conf->n_binds && rc == 0; i++) {
		const struct conf_bind *b = &conf->binds[i];
		if (found[i] || !b->target[0] || b->target_input || b->kind == BIND_SCENE)
			continue;
		bool sound = b->kind == BIND_TRIGGER || b->kind == BIND_RELEASE;
		if (!sound && conf_find_input(conf, b->target))
			continue;
		ini_set_err(err, errlen, "%s:%d: [bind] %s: no scene of the setlist has a %s named '%s'",
			    conf->path[0] ? conf->path : "built-in defaults", b->line, b->control,
			    sound ? "sound" : "[source]", b->target);
		rc = -1;
	}
	setlist_free(sl);
	return rc;
}
