/* Error strings and the version, from the one table in common.h. */
#include "internal.h"

#include <limits.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* |err|, or -1 (no such code) for INT_MIN, whose negation overflows. */
static int magnitude(int err)
{
	if (err == INT_MIN)
		return -1;
	return err < 0 ? -err : err;
}

const char *lsched_strerror(int err)
{
	err = magnitude(err);
	switch (err) {
#define GEN(name, msg)                                                         \
	case name:                                                             \
		return msg;
		LSCHED_ERRNO_MAP(GEN)
#undef GEN
	case 0:
		return "success";
	default:
		return "unknown error";
	}
}

const char *lsched_errname(int err)
{
	err = magnitude(err);
	switch (err) {
#define GEN(name, msg)                                                         \
	case name:                                                             \
		return #name;
		LSCHED_ERRNO_MAP(GEN)
#undef GEN
	default:
		return "UNKNOWN";
	}
}

const char *lsched_version(void)
{
	return STR(LSCHED_VERSION_MAJOR) "." STR(LSCHED_VERSION_MINOR) "." STR(
		LSCHED_VERSION_PATCH);
}
