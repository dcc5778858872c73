// SPDX-License-Identifier: Apache-2.0
/*
 * cache.c - the CPU cache operations that make famfs memory shareable
 * between hosts whose caches are not coherent with each other:
 *
 *   famfs_flush()         write back the lines covering a range (clwb, else
 *                         clflushopt, else clflush) and fence (sfence), so
 *                         that another host reading memory sees the stores;
 *   famfs_memcpy_flush()  a copy into famfs memory that is written back when
 *                         it returns: non-temporal stores for the aligned
 *                         middle of a large copy, famfs_flush for the rest;
 *   famfs_invalidate()    drop the lines covering a range (clflushopt, else
 *                         clflush; one mfence after the loop), so that the
 *                         next load reads memory, not a stale line.
 *
 * The instructions are chosen once, from CPUID leaf 7 (EBX bit 24 clwb,
 * bit 23 clflushopt); clflush is baseline on x86-64. Other architectures
 * have no implementation: famfs_cache_check() refuses them, and every
 * device open and direct mapping calls it, so famfs fails with
 * -EOPNOTSUPP at open instead of silently sharing stale memory.
 *
 * In the flush audit build (FAMFS_FLUSH_AUDIT, see famfs/audit.h) each
 * operation reports the range it wrote back or dropped when it is done.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "famfs/audit.h"
#include "famfs/dev.h"
#include "famfs/err.h"

#define CACHE_LINE	64

/*
 * FAMFS_CACHE_FORCE_GENERIC builds the non-x86 branch on x86 (the unit test
 * test_cache_generic checks that it refuses to run).
 */
#if (defined(__x86_64__) || defined(__i386__)) && !defined(FAMFS_CACHE_FORCE_GENERIC)
#define FAMFS_CACHE_X86 1
#include <cpuid.h>
#if defined(__x86_64__)
#include <emmintrin.h>
#endif
#endif

#ifdef FAMFS_CACHE_X86

enum { INSN_UNKNOWN = 0, INSN_CLWB, INSN_CLFLUSHOPT, INSN_CLFLUSH };

static const char *const insn_name[] = {
	[INSN_UNKNOWN] = "unknown", [INSN_CLWB] = "clwb", [INSN_CLFLUSHOPT] = "clflushopt",
	[INSN_CLFLUSH] = "clflush",
};

/* Both chosen together, once; a race between first callers picks the same. */
static int flush_insn, inval_insn;

static void cache_detect(void)
{
	unsigned int a, b, c, d;
	int fl = INSN_CLFLUSH, inv = INSN_CLFLUSH;

	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		if (b & (1u << 23))
			fl = inv = INSN_CLFLUSHOPT;
		if (b & (1u << 24))
			fl = INSN_CLWB;
	}
	__atomic_store_n(&inval_insn, inv, __ATOMIC_RELAXED);
	__atomic_store_n(&flush_insn, fl, __ATOMIC_RELAXED);
}

/* The instruction chosen for @kind (&flush_insn or &inval_insn). */
static int get_insn(int *kind)
{
	int k = __atomic_load_n(kind, __ATOMIC_RELAXED);

	if (k == INSN_UNKNOWN) {
		cache_detect();
		k = __atomic_load_n(kind, __ATOMIC_RELAXED);
	}
	return k;
}

/* Run @insn on every line covering [p, p + len); no fence. */
static void lines(int insn, const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(CACHE_LINE - 1);
	uintptr_t end = (uintptr_t)p + len;

	switch (insn) {
	case INSN_CLWB:
		for (; a < end; a += CACHE_LINE)
			__asm__ volatile("clwb %0" : "+m"(*(volatile char *)a));
		break;
	case INSN_CLFLUSHOPT:
		for (; a < end; a += CACHE_LINE)
			__asm__ volatile("clflushopt %0" : "+m"(*(volatile char *)a));
		break;
	default:
		for (; a < end; a += CACHE_LINE)
			__asm__ volatile("clflush %0" : "+m"(*(volatile char *)a));
		break;
	}
}

int famfs_cache_check(void)
{
	return 0;
}

const char *famfs_cache_flush_insn(void)
{
	return insn_name[get_insn(&flush_insn)];
}

const char *famfs_cache_invalidate_insn(void)
{
	return insn_name[get_insn(&inval_insn)];
}

void famfs_flush(const void *p, size_t len)
{
	if (!len)
		return;
	lines(get_insn(&flush_insn), p, len);
	/* clwb and clflushopt are ordered by sfence; clflush needs none. */
	__asm__ volatile("sfence" ::: "memory");
	famfs_audit_flushed(p, len);
}

void famfs_invalidate(const void *p, size_t len)
{
	if (!len)
		return;
	/*
	 * clflushopt and clflush are ordered with earlier stores to the same
	 * line; the one mfence after the loop orders them before later loads.
	 */
	lines(get_insn(&inval_insn), p, len);
	__asm__ volatile("mfence" ::: "memory");
	famfs_audit_invalidated(p, len);
}

#if defined(__x86_64__)
/* Copy 64-byte blocks to the 64-byte aligned @d with non-temporal stores. */
static void nt_copy(uint8_t *d, const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i += 64) {
		__m128i x0 = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i x1 = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16));
		__m128i x2 = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 32));
		__m128i x3 = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 48));

		_mm_stream_si128((__m128i *)(void *)(d + i), x0);
		_mm_stream_si128((__m128i *)(void *)(d + i + 16), x1);
		_mm_stream_si128((__m128i *)(void *)(d + i + 32), x2);
		_mm_stream_si128((__m128i *)(void *)(d + i + 48), x3);
	}
}
#endif

/* Below this, memcpy and a write back of the lines is as cheap. */
#define NT_MIN	256

void famfs_memcpy_flush(void *dst, const void *src, size_t n)
{
#if defined(__x86_64__)
	uint8_t *d = dst;
	const uint8_t *s = src;
	size_t head, body;

	if (n >= NT_MIN) {
		/* Partial lines at both ends: plain stores, written back. */
		head = (CACHE_LINE - ((uintptr_t)d & (CACHE_LINE - 1))) & (CACHE_LINE - 1);
		body = (n - head) & ~(size_t)(CACHE_LINE - 1);
		if (head) {
			memcpy(d, s, head);
			lines(get_insn(&flush_insn), d, head);
		}
		nt_copy(d + head, s + head, body);
		if (n > head + body) {
			memcpy(d + head + body, s + head + body, n - head - body);
			lines(get_insn(&flush_insn), d + head + body, n - head - body);
		}
		/* Orders the non-temporal stores and the write backs alike. */
		__asm__ volatile("sfence" ::: "memory");
		famfs_audit_flushed(dst, n);
		return;
	}
#endif
	memcpy(dst, src, n);
	famfs_flush(dst, n);
}

#else /* no cache operations for this architecture */

#if defined(__aarch64__)
#define CACHE_ARCH	"aarch64"
#elif defined(__x86_64__) || defined(__i386__)
#define CACHE_ARCH	"x86 (FAMFS_CACHE_FORCE_GENERIC)"
#else
#define CACHE_ARCH	"this architecture"
#endif

int famfs_cache_check(void)
{
	return famfs_err(-EOPNOTSUPP, "famfs has no CPU cache write back or invalidate for %s "
			 "(only x86 is implemented): refusing to share memory that other "
			 "hosts might read stale", CACHE_ARCH);
}

const char *famfs_cache_flush_insn(void)
{
	return "none";
}

const char *famfs_cache_invalidate_insn(void)
{
	return "none";
}

/*
 * Unreachable in a working program: no device opens and nothing maps
 * (famfs_cache_check). Die rather than pretend the range was written back.
 */
static void no_cache_ops(const char *what)
{
	fprintf(stderr, "famfs: %s called, but there are no cache operations for %s\n", what,
		CACHE_ARCH);
	abort();
}

void famfs_flush(const void *p, size_t len)
{
	if (len)
		no_cache_ops("famfs_flush");
}

void famfs_invalidate(const void *p, size_t len)
{
	if (len)
		no_cache_ops("famfs_invalidate");
}

void famfs_memcpy_flush(void *dst, const void *src, size_t n)
{
	if (n)
		no_cache_ops("famfs_memcpy_flush");
}

#endif
