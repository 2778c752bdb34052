/* A client of the New Session Manager (NSM API 1.1): with NSM_URL set,
 * tingled announces itself, waits to be told which session to open (its
 * JACK client name and where its state lives), saves on request and says
 * when it has unsaved changes. Quit is SIGTERM, as always. One liblo
 * server, polled from the main thread, does all the talking. */
#ifndef TINGLE_NSM_H
#define TINGLE_NSM_H

#include <stdbool.h>
#include <stddef.h>

struct nsm;

/* Announce to the session manager at url. NULL with err. */
struct nsm *nsm_start(const char *url, const char *argv0, char *err, size_t errlen);
void nsm_stop(struct nsm *m);

/* Read what came, never waiting. */
void nsm_poll(struct nsm *m);
/* An /nsm/client/open that came: its path and client id (taken once). */
bool nsm_take_open(struct nsm *m, char *path, size_t pathlen, char *client_id, size_t idlen);
/* An /nsm/client/save that came (taken once). */
bool nsm_take_save(struct nsm *m);

/* Answer a request ("/nsm/client/open", "/nsm/client/save"): done, or an
 * error with NSM's code (-1 general, -4 save failed...) and a message. */
void nsm_reply(struct nsm *m, const char *method, const char *message);
void nsm_error(struct nsm *m, const char *method, int code, const char *message);
/* Tell the manager about unsaved changes (sent only when it changes). */
void nsm_set_dirty(struct nsm *m, bool dirty);

#endif
