/* Plain decimal numbers on command lines (see numarg.h). */
#include "numarg.h"

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
