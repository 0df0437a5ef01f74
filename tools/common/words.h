/*
 * Words in the tools' text: the noun that goes with a count. Every text a
 * tool prints with a count ("1 run", "3 runs", "0 waits") takes its noun
 * from tw_noun(), not from an ad-hoc ternary or a "run(s)": one rule, in
 * one place, tested once (tests/test_words.c).
 */
#ifndef TOOLS_WORDS_H
#define TOOLS_WORDS_H

/* one if n is 1, else many: English counts take the plural for every
 * number but one, zero included ("0 runs"). Both words are the caller's
 * (irregular plurals: "priority", "priorities"); the result is one of
 * them, never a copy. Thread-safe. */
const char *tw_noun(unsigned long long n, const char *one, const char *many);

#endif /* TOOLS_WORDS_H */
