/*
 * Copyright (c) 2025-2026 The popd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/* popcache_scan.c -- popcache_load: the file reconciled with the dirs. */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "popcache.h"
#include "popcache_file.h"

#define PC_SETTLE	2		/* s: a younger dir stamp is doubtful */
#define PC_AHEAD	16		/* records: the prefetch's distance */

struct pc_ent {
	size_t		 off;		/* of "dir/name" in pc_ents.names */
	long		 rec;		/* matching record, or -1 */
};

struct pc_ents {
	const char	*dir;		/* the one being read */
	char		*names;
	size_t		 len, cap;
	struct pc_ent	*v;
	size_t		 n, nalloc;
};

static void
pc_tab_put(uint32_t *tab, size_t mask, uint64_t hv, size_t i)
{
	size_t	j;

	for (j = hv & mask; tab[j] != 0; j = (j + 1) & mask)
		;
	tab[j] = i + 1;
}

static size_t
pc_uniqlen(const char *name)
{
	return strcspn(name + 4, ":");
}

/*
 * A change in the same tick as the stamp leaves it as it was: trust a
 * stamp only once it is PC_SETTLE seconds old (as Dovecot does).
 */
static int
pc_settled(const struct popcache_stamp *s, time_t now)
{
	long long	t = s->msec > s->csec ? s->msec : s->csec;

	return s->valid && t + PC_SETTLE <= (long long)now;
}

/*
 * The warm path hands the UIDLs out as they are, so a damaged file with
 * two alike is rebuilt.  A slot holds the hash's upper half beside the
 * index (a record takes 10 of at most PC_MAXFILE bytes), and the slot
 * PC_AHEAD on is prefetched: the cache misses overlap.
 */
static int
pc_uidls_unique(const struct popcache_msgs *pm, const uint64_t *hv,
    size_t n)
{
	struct popcache_rec	 a, b;
	uint64_t		*tab, hi;
	size_t			 mask, i, j;
	int			 rv = 1;

	if ((tab = pc_tab(n, sizeof(*tab), &mask)) == NULL)
		return -1;
	for (i = 0; i < n && rv == 1; i++) {
		if (i + PC_AHEAD < n)
			__builtin_prefetch(&tab[hv[i + PC_AHEAD] & mask], 1);
		hi = hv[i] & 0xffffffff00000000ULL;
		for (j = hv[i] & mask; tab[j] != 0; j = (j + 1) & mask) {
			if ((tab[j] & 0xffffffff00000000ULL) != hi)
				continue;
			pm->get(pm->arg, (tab[j] & 0xffffffff) - 1, &a);
			pm->get(pm->arg, i, &b);
			if (strcmp(a.uidl, b.uidl) == 0) {
				rv = 0;
				break;
			}
		}
		tab[j] = hi | (i + 1);
	}
	free(tab);
	return rv;
}

static int
pc_parse_recs(struct popcache *pc, struct pc_file *f)
{
	char	*p = f->first;
	size_t	 i;

	if (f->count > 0 &&
	    (f->recs = calloc(f->count, sizeof(*f->recs))) == NULL) {
		log_warn("popcache: %s", pc->path);
		return -1;
	}
	for (i = 0; i < f->count; i++)
		if (pc_next_rec(f, &p, i, &f->recs[i]) == -1) {
			pc_bad_rec(pc, i);
			return -1;
		}
	f->nrecs = f->count;
	return 0;
}

static int
pc_ent_add(void *arg, const char *name)
{
	struct pc_ents	*e = arg;
	struct pc_ent	*v;
	char		*nb;
	size_t		 len, need, n;

	len = strlen(name);
	need = e->len + 4 + len + 1;
	if (need > e->cap) {
		for (n = e->cap == 0 ? 65536 : e->cap; n < need; n *= 2)
			;
		if ((nb = realloc(e->names, n)) == NULL)
			return -1;
		e->names = nb;
		e->cap = n;
	}
	if (e->n == e->nalloc) {
		n = e->nalloc == 0 ? 1024 : e->nalloc * 2;
		if ((v = reallocarray(e->v, n, sizeof(*v))) == NULL)
			return -1;
		e->v = v;
		e->nalloc = n;
	}
	e->v[e->n].off = e->len;
	e->v[e->n].rec = -1;
	memcpy(e->names + e->len, e->dir, 3);
	e->names[e->len + 3] = '/';
	memcpy(e->names + e->len + 4, name, len + 1);
	e->len = need;
	e->n++;
	return 0;
}

static const char *pc_sort_names;

static int
pc_ent_cmp(const void *a, const void *b)
{
	return maildir_namecmp(pc_sort_names + ((const struct pc_ent *)a)->off,
	    pc_sort_names + ((const struct pc_ent *)b)->off);
}

static int
pc_add(struct popcache *pc, const struct popcache_msgs *pm,
    const char *name, off_t size, const char *uidl)
{
	struct popcache_rec	r = { name, uidl, size };

	if (pm->add(pm->arg, &r) == -1)
		return -1;
	pc->count[name[0] == 'n' ? D_NEW : D_CUR]++;
	return 0;
}

static int
pc_read_dirs(struct popcache *pc, const int *changed, struct pc_ents *e)
{
	int	d;

	for (d = 0; d < D_N; d++) {
		if (!changed[d])
			continue;
		pc->stats.dirs_read++;
		e->dir = pc_dirs[d];
		if (maildir_readdir(pc->dirfd, pc_dirs[d], pc_ent_add,
		    e) == -1) {
			log_warn("popcache: %s/%s", pc->path, pc_dirs[d]);
			return -1;
		}
	}
	return 0;
}

/* Pass 1: the same unique name under another name keeps its UIDL and size. */
static int
pc_match(struct pc_file *f, const int *changed, struct pc_ents *e)
{
	struct pc_rec	*r;
	uint32_t	*tab;
	const char	*name;
	size_t		 mask, i, j, k, len;
	uint64_t	 hv;
	int		 pass;

	if ((tab = pc_tab(f->nrecs, sizeof(*tab), &mask)) == NULL)
		return -1;
	for (i = 0; i < f->nrecs; i++)
		if (changed[f->recs[i].dir])
			pc_tab_put(tab, mask, pc_hash(f->recs[i].name + 4,
			    pc_uniqlen(f->recs[i].name), 0), i);

	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < e->n; k++) {
			if (e->v[k].rec != -1)
				continue;
			name = e->names + e->v[k].off;
			len = pc_uniqlen(name);
			hv = pc_hash(name + 4, len, 0);
			for (j = hv & mask; tab[j] != 0; j = (j + 1) & mask) {
				r = &f->recs[tab[j] - 1];
				if (r->ent != -1)
					continue;
				if (pass == 0 ? strcmp(r->name, name) != 0 :
				    (pc_uniqlen(r->name) != len ||
				    memcmp(r->name + 4, name + 4, len) != 0))
					continue;
				r->ent = k;
				e->v[k].rec = tab[j] - 1;
				break;
			}
		}
	}
	free(tab);
	return 0;
}

static int
pc_add_known(struct popcache *pc, const struct popcache_msgs *pm,
    struct pc_file *f, const int *changed, struct pc_ents *e, size_t *gone)
{
	struct pc_rec	*r;
	const char	*name;
	size_t		 i, k;

	for (i = 0, k = 0; i < f->nrecs; i++)
		if (!changed[f->recs[i].dir])
			k++;
	if (pm->reserve(pm->arg, k + e->n) == -1)
		return -1;
	for (i = 0; i < f->nrecs; i++) {
		r = &f->recs[i];
		if (!changed[r->dir])
			name = r->name;
		else if (r->ent != -1)
			name = e->names + e->v[r->ent].off;
		else {
			(*gone)++;
			continue;
		}
		if (pc_add(pc, pm, name, r->size, r->uidl) == -1)
			return -1;
	}
	return 0;
}

static off_t
pc_hint(struct pc_file *f, uint32_t *htab, size_t hmask, const char *name)
{
	uint64_t	hv;
	size_t		j;

	hv = pc_hash(name, strlen(name), 0);
	for (j = hv & hmask; htab[j] != 0; j = (j + 1) & hmask)
		if (strcmp(f->hints[htab[j] - 1].name, name) == 0)
			return f->hints[htab[j] - 1].size;
	return -1;
}

static int
pc_add_new(struct popcache *pc, const struct popcache_msgs *pm,
    struct pc_file *f, struct pc_ents *e, size_t *nnew)
{
	uint32_t	*htab;
	const char	*name, *u;
	char		 uidl[UIDL_MAX + 1];
	size_t		 hmask, i, k;
	off_t		 size, named;
	int		 rv = -1, hinted;

	for (k = 0; k < e->n; k++)
		if (e->v[k].rec == -1)
			e->v[(*nnew)++] = e->v[k];
	pc_sort_names = e->names;
	/* e->v may be NULL, which qsort(3) must not get. */
	if (*nnew > 1)
		qsort(e->v, *nnew, sizeof(e->v[0]), pc_ent_cmp);

	if ((htab = pc_tab(f->nhints, sizeof(*htab), &hmask)) == NULL)
		return -1;
	for (i = 0; i < f->nhints; i++)
		pc_tab_put(htab, hmask, pc_hash(f->hints[i].name,
		    f->hints[i].namelen, 0), i);
	for (k = 0; k < *nnew; k++) {
		name = e->names + e->v[k].off;
		/*
		 * A hint lies after the checksum: believed only where it fits
		 * the name's ",S=" and the name has no ",W="; else read.
		 */
		size = pc_hint(f, htab, hmask, name);
		hinted = size != -1;
		named = maildir_namesize(name);
		if (size != -1 && (named != -1 ? named != size :
		    !maildir_size_fits(name, size)))
			named = -2;
		if (size == -1 || named == -2) {
			pc->stats.sized++;
			if ((named == -2 ? maildir_readsize(pc->dirfd, name,
			    &size) : maildir_msgsize(pc->dirfd, name,
			    &size)) == -1) {
				if (errno == ENOENT)
					continue;	/* removed meanwhile */
				log_warn("popcache: %s/%s", pc->path, name);
				goto done;
			}
		}
		if (!hinted && pm->moved != NULL &&
		    (u = pm->moved(pm->arg, name)) != NULL)
			(void)strlcpy(uidl, u, sizeof(uidl));
		else if (maildir_uidl(name, uidl, sizeof(uidl)) == -1)
			goto done;
		if (pc_add(pc, pm, name, size, uidl) == -1)
			goto done;
	}
	rv = 0;
 done:
	free(htab);
	return rv;
}

static int
pc_reconcile(struct popcache *pc, const struct popcache_msgs *pm,
    struct pc_file *f, const int *changed)
{
	struct pc_ents	 e;
	size_t		 nnew = 0, gone = 0;
	int		 rv = -1, saved;

	memset(&e, 0, sizeof(e));
	if (pc_read_dirs(pc, changed, &e) == -1 ||
	    pc_match(f, changed, &e) == -1 ||
	    pc_add_known(pc, pm, f, changed, &e, &gone) == -1 ||
	    pc_add_new(pc, pm, f, &e, &nnew) == -1)
		goto done;
	log_debug("popcache: %s: read%s%s: %zu new, %zu gone", pc->path,
	    changed[D_NEW] ? " new/" : "", changed[D_CUR] ? " cur/" : "",
	    nnew, gone);
	rv = 0;
 done:
	saved = errno;
	free(e.names);
	free(e.v);
	errno = saved;
	return rv;
}

/* Until a load succeeds, popcache_write records no stamp. */
static void
pc_forget(struct popcache *pc)
{
	struct popcache	 keep = *pc;

	memset(pc, 0, sizeof(*pc));
	pc->dirfd = keep.dirfd;
	pc->path = keep.path;
	pc->havepre = keep.havepre;
	memcpy(pc->pre, keep.pre, sizeof(pc->pre));
	pc->known = 1;
	pc->stats.result = POPCACHE_REBUILD;
}

/* Taken before anything is read: later changes are seen next time. */
static int
pc_stamp_now(struct popcache *pc, struct popcache_stamp *now_st)
{
	struct timespec	ts;
	int		d;

	for (d = 0; d < D_N; d++)
		if (pc->havepre)
			now_st[d] = pc->pre[d];
		else if (pc_stamp_dir(pc->dirfd, d, &now_st[d]) == -1) {
			log_warn("popcache: %s/%s", pc->path, pc_dirs[d]);
			return -1;
		}
	pc->havepre = 0;
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return -1;
	for (d = 0; d < D_N; d++) {
		pc->view[d] = now_st[d];
		if (!pc_settled(&now_st[d], ts.tv_sec))
			pc->view[d].valid = 0;
	}
	return 0;
}

static int
pc_load_warm(struct popcache *pc, const struct popcache_msgs *pm,
    struct pc_file *f)
{
	struct pc_rec	 r;
	uint64_t	*hv;
	char		*p = f->first;
	size_t		 i;
	int		 rv = -1;

	if ((hv = reallocarray(NULL, f->count + 1, sizeof(*hv))) == NULL ||
	    pm->reserve(pm->arg, f->count) == -1) {
		log_warn("popcache: %s", pc->path);
		goto done;
	}
	for (i = 0; i < f->count; i++) {
		if (pc_next_rec(f, &p, i, &r) == -1) {
			pc_bad_rec(pc, i);
			goto done;
		}
		hv[i] = pc_hash(r.uidl, r.uidllen, 0);
		if (pc_add(pc, pm, r.name, r.size, r.uidl) == -1) {
			log_warn("popcache: %s", pc->path);
			goto done;
		}
	}
	f->nrecs = f->count;
	switch (pc_uidls_unique(pm, hv, f->count)) {
	case -1:
		log_warn("popcache: %s", pc->path);
		goto done;
	case 0:
		log_warnx("popcache: %s: two records with one UIDL",
		    pc->path);
		goto done;
	}
	pc->clean = f->nhints == 0;
	pc->stats.result = POPCACHE_WARM;
	rv = 0;
 done:
	free(hv);
	return rv;
}

/* On -1 the maildrop scans; popcache_write records the stamps taken here. */
int
popcache_load(struct popcache *pc, const struct popcache_msgs *pm)
{
	struct pc_file		 f;
	struct popcache_stamp	 now_st[D_N];
	const char		*why;
	int			 d, changed[D_N];

	pc_forget(pc);
	if (pc_stamp_now(pc, now_st) == -1)
		return -1;
	if (pc_read(pc, &f, &why) == -1) {
		if (errno == ENOENT)
			log_info("popcache: %s: missing, rebuilding it from "
			    "the maildir", pc->path);
		else
			log_warnx("popcache: %s: %s, rebuilding it from the "
			    "maildir", pc->path, why);
		return -1;
	}
	/* The list may point into the buffer: the maildrop's from now. */
	pm->keep(pm->arg, f.buf, f.len + 1);
	f.buf = NULL;
	pc->havefile = 1;
	pc->dev = f.dev;
	pc->ino = f.ino;
	pc->size = f.len;
	pc->partial = f.partial;

	for (d = 0; d < D_N; d++) {
		changed[d] = !pc_stamp_eq(&f.stamp[d], &now_st[d]);
		if (!changed[d])
			pc->view[d] = now_st[d];
	}
	if (!changed[D_NEW] && !changed[D_CUR]) {
		if (pc_load_warm(pc, pm, &f) == -1)
			goto fail;
	} else {
		if (pc_parse_recs(pc, &f) == -1)
			goto fail;
		if (pc_reconcile(pc, pm, &f, changed) == -1)
			goto fail;
		pc->stats.result = POPCACHE_UPDATED;
	}
	pc->counted = 1;
	pc->stats.records = f.nrecs;
	log_debug("popcache: %s: %s, %zu messages", pc->path,
	    pc->stats.result == POPCACHE_WARM ? "warm" : "updated",
	    pc->count[D_NEW] + pc->count[D_CUR]);
	pc_file_free(&f);
	return 0;
 fail:
	pc_file_free(&f);
	pc->counted = pc->clean = 0;
	pc->stats.result = POPCACHE_REBUILD;
	log_warnx("popcache: %s: rebuilding it from the maildir", pc->path);
	return -1;
}
