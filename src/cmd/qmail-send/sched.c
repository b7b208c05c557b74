/* sched.c: qmail-send's message table, FIFOs and per-channel heaps. */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "send.h"

static size_t bucket(const struct send_state *s, uint64_t id)
{
	uint64_t h = id * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 17) & (s->table_cap - 1);
}

struct msg *sched_find(struct send_state *s, uint64_t id)
{
	if (!s->table)
		return NULL;
	for (struct msg *m = s->table[bucket(s, id)]; m; m = m->hnext)
		if (m->id == id)
			return m;
	return NULL;
}

static void grow_table(struct send_state *s)
{
	size_t old_cap = s->table_cap;
	struct msg **old = s->table;
	s->table_cap = old_cap ? old_cap * 2 : 1024;
	s->table = xcalloc(s->table_cap, sizeof *s->table);
	for (size_t i = 0; i < old_cap; i++) {
		struct msg *m = old[i];
		while (m) {
			struct msg *next = m->hnext;
			size_t b = bucket(s, m->id);
			m->hnext = s->table[b];
			s->table[b] = m;
			m = next;
		}
	}
	free(old);
}

struct msg *sched_add(struct send_state *s, uint64_t id)
{
	if (s->n_msgs >= s->table_cap)
		grow_table(s);
	struct msg *m = xcalloc(1, sizeof *m);
	m->id = id;
	size_t b = bucket(s, id);
	m->hnext = s->table[b];
	s->table[b] = m;
	s->n_msgs++;
	return m;
}

void sched_remove(struct send_state *s, struct msg *m)
{
	struct msg **pp = &s->table[bucket(s, m->id)];
	while (*pp && *pp != m)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = m->hnext;
	s->n_msgs--;
	if (m->jobs) {
		for (size_t i = 0; i < m->env.n_rcpt; i++)
			free(m->jobs[i].routed);
		free(m->jobs);
	}
	envelope_free(&m->env);
	free(m);
}

void fifo_push(struct fifo *f, struct msg *m)
{
	m->qnext = NULL;
	if (f->tail)
		f->tail->qnext = m;
	else
		f->head = m;
	f->tail = m;
	f->n++;
}

struct msg *fifo_pop(struct fifo *f)
{
	struct msg *m = f->head;
	if (!m)
		return NULL;
	f->head = m->qnext;
	if (!f->head)
		f->tail = NULL;
	m->qnext = NULL;
	f->n--;
	return m;
}

static void heap_set(struct heap *h, size_t i, struct job *j)
{
	h->v[i] = j;
	j->heap_idx = i;
}

static void sift_up(struct heap *h, size_t i)
{
	struct job *j = h->v[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (h->v[parent]->next <= j->next)
			break;
		heap_set(h, i, h->v[parent]);
		i = parent;
	}
	heap_set(h, i, j);
}

static void sift_down(struct heap *h, size_t i)
{
	struct job *j = h->v[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1]->next < h->v[c]->next)
			c++;
		if (j->next <= h->v[c]->next)
			break;
		heap_set(h, i, h->v[c]);
		i = c;
	}
	heap_set(h, i, j);
}

void heap_push(struct heap *h, struct job *j)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 256;
		h->v = xreallocarray(h->v, h->cap, sizeof *h->v);
	}
	h->v[h->n] = j;
	j->heap_idx = h->n;
	h->n++;
	sift_up(h, h->n - 1);
}

struct job *heap_top(const struct heap *h)
{
	return h->n ? h->v[0] : NULL;
}

struct job *heap_pop(struct heap *h)
{
	if (!h->n)
		return NULL;
	struct job *top = h->v[0];
	h->n--;
	if (h->n) {
		heap_set(h, 0, h->v[h->n]);
		sift_down(h, 0);
	}
	top->heap_idx = SIZE_MAX;
	return top;
}
