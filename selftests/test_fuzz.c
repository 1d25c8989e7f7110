// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_fuzz.c - a short run of every libFuzzer target (make fuzz builds
 * them; make check too): a decoder that crashes, leaks or trips ASan on
 * what a few seconds of fuzzing find fails the suite. Longer runs are for
 * `build/fuzz_NAME -max_total_time=600 CORPUS` by hand.
 */
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include "selftests/cmd.h"
#include "selftests/test_progs.h"

void test_fuzz(void)
{
	struct cmd_result r = {};
	char dir[128];
	struct dirent *de;
	DIR *d;
	int n = 0;

	d = opendir("selftests/fuzz");
	if (!ASSERT_OK_PTR(d, "selftests/fuzz"))
		return;
	while ((de = readdir(d))) {
		char name[64];
		size_t len = strlen(de->d_name);

		if (len < 3 || strcmp(de->d_name + len - 2, ".c") ||
		    len - 2 >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 2),
			 de->d_name);
		if (!test__start_subtest(name))
			continue;
		snprintf(dir, sizeof(dir), "/tmp/tp-fuzz-%s-XXXXXX",
			 env.suffix);
		if (!ASSERT_OK_PTR(mkdtemp(dir), "corpus dir"))
			continue;
		/* a fixed seed: the same inputs every run */
		cmd_run(&r, 120, "%s/%s -seed=1 -runs=1000000 -max_len=4096 %s",
			env.build_dir, name, dir);
		ASSERT_EQ(r.status, 0, name);
		ASSERT_HAS_SUBSTR(r.err, "Done 1000000 runs", "ran to the end");
		if (r.status)
			fprintf(stderr, "%.2000s\n", r.err);
		cmd_free(&r);
		SYS_NOFAIL("rm -rf %s", dir);
		n++;
	}
	closedir(d);
	ASSERT_GT(n, 0, "fuzz targets found");
}
