/* listener_health.c: a health port's HTTP form; fuzz_healthhttp. */
#define HEALTH_HTTP_MAX		1024	/* a request's bytes, at most */

extern char	 health_line_now[32];	/* listener_accept.c */
int		 health_http_request(const char *, size_t);
void		 health_http_conn(int);
