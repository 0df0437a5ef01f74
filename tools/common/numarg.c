/* Plain decimal numbers on command lines (see numarg.h). */
#include "numarg.h"

#include <errno.h>
#include <stdlib.h>

static bool digits(const char **s)
{
	const char *p = *s;

	while (**s >= '0' && **s <= '9')
		(*s)++;
	return *s != p;
}

bool tn_decimal(const char *s)
{
	if (*s == '-')
		s++;
	if (!digits(&s))
		return false;
	if (*s == '.') {
		s++;
		if (!digits(&s))
			return false;
	}
	return *s == '\0';
}

bool tn_pid(const char *s, int64_t *pid)
{
	const char *p = s;
	char *end;

	if (!digits(&p) || *p)
		return false;
	errno = 0;
	*pid = strtoll(s, &end, 10);
	return !errno && !*end;
}
