/*
 * Runs a fuzz target's LLVMFuzzerTestOneInput() over files, without
 * libFuzzer: make check builds every tests/fuzz/fuzz_*.c with this main
 * (any compiler, any SANITIZE) and replays the committed corpus and the
 * regression inputs (tests/fuzz/corpus/<target>/, tests/fuzz/regress/
 * <target>/), so that an input that once crashed a target stays a test.
 *
 *   run_corpus_<target> FILE-OR-DIR...
 *
 * Prints one line: how many inputs ran. Exit status 0, or 1 if an input
 * cannot be read (a crash is a crash: the sanitizers or the signal say).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, unsigned long *ran)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		perror(path);
		return 1;
	}
	do {
		if (len == cap) {
			uint8_t *b;

			cap = cap ? cap * 2 : 4096;
			b = realloc(buf, cap);
			if (!b) {
				fprintf(stderr, "%s: out of memory\n", path);
				free(buf);
				fclose(f);
				return 1;
			}
			buf = b;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	fclose(f);
	/* A copy of exactly len bytes: a read past the input is caught. */
	{
		uint8_t *exact = malloc(len ? len : 1);

		if (!exact) {
			free(buf);
			return 1;
		}
		memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	(*ran)++;
	return 0;
}

static int run_path(const char *path, unsigned long *ran)
{
	struct stat st;
	struct dirent **ents;
	int n, err = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path, ran);
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		perror(path);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char sub[4096];

		if (ents[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path,
				 ents[i]->d_name);
			err |= run_path(sub, ran);
		}
		free(ents[i]);
	}
	free(ents);
	return err;
}

int main(int argc, char **argv)
{
	unsigned long ran = 0;
	int err = 0;

	for (int i = 1; i < argc; i++)
		err |= run_path(argv[i], &ran);
	printf("%lu inputs ran\n", ran);
	return err;
}
