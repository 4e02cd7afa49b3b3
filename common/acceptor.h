/*
 * acceptor.h -- one listening socket of a process that serves many
 * connections (the listener, the lmtp process): connections accepted in
 * batches, a pause when descriptors or memory run out (acceptor.c).
 */
#ifndef POPD_ACCEPTOR_H
#define POPD_ACCEPTOR_H

#include <sys/types.h>
#include <sys/socket.h>

#include <event.h>

struct acceptor {
	int		  fd;
	int		  stopped;	/* acceptor_stop: no accepting */
	struct event	  ev;
	struct event	  pause;	/* out of descriptors or memory */
	void		 *arg;		/* its owner's */
	/* Before each accept (may be NULL): 0, or -1 with errno and what. */
	int		(*prepare)(void *, const char **);
	void		(*conn)(void *, int, const struct sockaddr *, socklen_t);
	const unsigned int *nsessions;	/* for the pause's log line */
};

/* acceptor.c */
void	acceptor_start(struct acceptor *, int);
void	acceptor_stop(struct acceptor *, int);
void	acceptor_close(struct acceptor *);

#endif
