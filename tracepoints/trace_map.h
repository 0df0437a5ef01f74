/*
 * Preprocessor helpers that turn the field list of an event in events.def,
 * (KIND, name) pairs, into parameter lists, argument lists and LTTng field
 * lists. Shared by trace.h (the library's side) and libsched_tp.h (the
 * LTTng-UST provider). Not installed.
 */
#ifndef LSCHED_TRACE_MAP_H
#define LSCHED_TRACE_MAP_H

#include <stdint.h>

#include "schema.h"

#define LSCHED__TP_CAT(a, b) LSCHED__TP_CAT_(a, b)
#define LSCHED__TP_CAT_(a, b) a##b
#define LSCHED__TP_NARG(...)                                                  \
	LSCHED__TP_NARG_(__VA_ARGS__, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define LSCHED__TP_NARG_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12,  \
			 N, ...) N

#define LSCHED__TP_COMMA() ,
#define LSCHED__TP_EMPTY()

/* LSCHED__TP_MAP(M, SEP, (K, n), ...): M(K, n) for each pair, separated
 * by SEP(). At most 12 pairs (sys/sdt.h's limit for a USDT probe). */
#define LSCHED__TP_MAP(M, S, ...)                                              \
	LSCHED__TP_CAT(LSCHED__TP_MAP, LSCHED__TP_NARG(__VA_ARGS__))(M, S, __VA_ARGS__)
#define LSCHED__TP_MAP1(M, S, a) M a
#define LSCHED__TP_MAP2(M, S, a, ...) M a S() LSCHED__TP_MAP1(M, S, __VA_ARGS__)
#define LSCHED__TP_MAP3(M, S, a, ...) M a S() LSCHED__TP_MAP2(M, S, __VA_ARGS__)
#define LSCHED__TP_MAP4(M, S, a, ...) M a S() LSCHED__TP_MAP3(M, S, __VA_ARGS__)
#define LSCHED__TP_MAP5(M, S, a, ...) M a S() LSCHED__TP_MAP4(M, S, __VA_ARGS__)
#define LSCHED__TP_MAP6(M, S, a, ...) M a S() LSCHED__TP_MAP5(M, S, __VA_ARGS__)
#define LSCHED__TP_MAP7(M, S, a, ...) M a S() LSCHED__TP_MAP6(M, S, __VA_ARGS__)
#define LSCHED__TP_MAP8(M, S, a, ...) M a S() LSCHED__TP_MAP7(M, S, __VA_ARGS__)
#define LSCHED__TP_MAP9(M, S, a, ...) M a S() LSCHED__TP_MAP8(M, S, __VA_ARGS__)
#define LSCHED__TP_MAP10(M, S, a, ...) M a S() LSCHED__TP_MAP9(M, S, __VA_ARGS__)
#define LSCHED__TP_MAP11(M, S, a, ...) M a S() LSCHED__TP_MAP10(M, S, __VA_ARGS__)
#define LSCHED__TP_MAP12(M, S, a, ...) M a S() LSCHED__TP_MAP11(M, S, __VA_ARGS__)

/* C types of the field kinds. */
#define LSCHED__TP_CTYPE_PTR const void *
#define LSCHED__TP_CTYPE_STR const char *
#define LSCHED__TP_CTYPE_U64 uint64_t
#define LSCHED__TP_CTYPE_I64 int64_t
#define LSCHED__TP_CTYPE_INT int
/* The D kinds (events.def): the same C types, left out of LTTng records. */
#define LSCHED__TP_CTYPE_DPTR LSCHED__TP_CTYPE_PTR
#define LSCHED__TP_CTYPE_DSTR LSCHED__TP_CTYPE_STR
#define LSCHED__TP_CTYPE_DU64 LSCHED__TP_CTYPE_U64
#define LSCHED__TP_CTYPE_DI64 LSCHED__TP_CTYPE_I64
#define LSCHED__TP_CTYPE_DINT LSCHED__TP_CTYPE_INT

/* A prototype's parameter; an argument; a (type, name) tuple. */
#define LSCHED__TP_PARAM(k, n) LSCHED__TP_CTYPE_##k n
#define LSCHED__TP_NAME(k, n) n
#define LSCHED__TP_TYPE_NAME(k, n) LSCHED__TP_CTYPE_##k, n

#endif /* LSCHED_TRACE_MAP_H */
