/* The noun for a count (words.h). */
#include "words.h"

const char *tw_noun(unsigned long long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}
