/*
 * The reference side of bench/seccomp.ts: builds a seccomp filter with
 * libseccomp from a plain description and exports it, the way runc and crun
 * do (no optimize attribute), and again as libseccomp's binary tree
 * (SCMP_FLTATR_CTL_OPTIMIZE=2) where the library has it. Never part of the
 * package: libseccomp is only the yardstick.
 *
 * Usage: seccomp-libseccomp PROFILE.txt OUT_DEFAULT.bpf OUT_TREE.bpf [REPEAT]
 * PROFILE.txt, one item a line (values decimal):
 *   default ACTION            the default action as the kernel's u32
 *   badarch ACTION
 *   arch NAME                 libseccomp's name: x86, x32, arm, ...
 *   rule ACTION SYSCALL N [INDEX OP VALUE DATUM]*N    OP: NE LT LE EQ GE GT MASKED_EQ
 * Prints "version", then "build_us" (median over REPEAT builds, default 50)
 * per variant; a variant the library cannot make prints "unsupported".
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINES 4096
#define MAX_ARGS 6

struct rule {
	uint32_t action;
	char name[64];
	unsigned int count;
	struct scmp_arg_cmp args[MAX_ARGS];
};

static uint32_t default_action, badarch_action = SCMP_ACT_KILL_PROCESS;
static char arches[32][32];
static int n_arches;
static struct rule rules[MAX_LINES];
static int n_rules;
static int skipped; /* names libseccomp does not know */

static int parse_op(const char *s, enum scmp_compare *op)
{
	static const struct { const char *name; enum scmp_compare op; } ops[] = {
		{ "NE", SCMP_CMP_NE }, { "LT", SCMP_CMP_LT }, { "LE", SCMP_CMP_LE }, { "EQ", SCMP_CMP_EQ },
		{ "GE", SCMP_CMP_GE }, { "GT", SCMP_CMP_GT }, { "MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(s, ops[i].name) == 0) {
			*op = ops[i].op;
			return 0;
		}
	return -1;
}

static void read_profile(const char *path)
{
	FILE *f = fopen(path, "r");
	char word[64];
	if (!f) {
		perror(path);
		exit(2);
	}
	while (fscanf(f, "%63s", word) == 1) {
		if (strcmp(word, "default") == 0) {
			if (fscanf(f, "%u", &default_action) != 1) goto bad;
		} else if (strcmp(word, "badarch") == 0) {
			if (fscanf(f, "%u", &badarch_action) != 1) goto bad;
		} else if (strcmp(word, "arch") == 0) {
			if (n_arches == 32 || fscanf(f, "%31s", arches[n_arches++]) != 1) goto bad;
		} else if (strcmp(word, "rule") == 0) {
			struct rule *r = &rules[n_rules];
			if (n_rules == MAX_LINES || fscanf(f, "%u %63s %u", &r->action, r->name, &r->count) != 3 || r->count > MAX_ARGS) goto bad;
			for (unsigned int i = 0; i < r->count; i++) {
				char op[16];
				unsigned long long v, two;
				if (fscanf(f, "%u %15s %llu %llu", &r->args[i].arg, op, &v, &two) != 4 || parse_op(op, &r->args[i].op) != 0) goto bad;
				r->args[i].datum_a = v;
				r->args[i].datum_b = two;
			}
			n_rules++;
		} else {
			goto bad;
		}
	}
	fclose(f);
	return;
bad:
	fprintf(stderr, "%s: bad line at \"%s\"\n", path, word);
	exit(2);
}

/* Builds the filter; optimize 0 leaves the attribute alone (as runc and crun do). */
static scmp_filter_ctx build(int optimize, int report)
{
	scmp_filter_ctx ctx = seccomp_init(default_action);
	int rc;
	if (!ctx) {
		fprintf(stderr, "seccomp_init failed\n");
		exit(1);
	}
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, badarch_action)) != 0) {
		fprintf(stderr, "badarch: %s\n", strerror(-rc));
		exit(1);
	}
	if (optimize && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, optimize) != 0) {
		seccomp_release(ctx);
		return NULL;
	}
	for (int i = 0; i < n_arches; i++) {
		uint32_t arch = seccomp_arch_resolve_name(arches[i]);
		if (arch == 0) {
			fprintf(stderr, "unknown arch %s\n", arches[i]);
			exit(1);
		}
		rc = seccomp_arch_add(ctx, arch);
		if (rc != 0 && rc != -EEXIST) {
			fprintf(stderr, "arch %s: %s\n", arches[i], strerror(-rc));
			exit(1);
		}
	}
	skipped = 0;
	for (int i = 0; i < n_rules; i++) {
		const struct rule *r = &rules[i];
		/* Native resolution, as runc's GetSyscallFromName: names of other arches get pseudo numbers. */
		int nr = seccomp_syscall_resolve_name(r->name);
		if (nr == __NR_SCMP_ERROR) {
			skipped++;
			continue;
		}
		rc = seccomp_rule_add_array(ctx, r->action, nr, r->count, r->args);
		if (rc != 0 && report) fprintf(stderr, "rule %d (%s): %s\n", i, r->name, strerror(-rc));
	}
	return ctx;
}

static void export_to(scmp_filter_ctx ctx, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int rc;
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	if ((rc = seccomp_export_bpf(ctx, fd)) != 0) {
		fprintf(stderr, "export: %s\n", strerror(-rc));
		exit(1);
	}
	close(fd);
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median time of build + export to /dev/null, in microseconds. */
static double time_build(int optimize, int repeat)
{
	double *t = calloc(repeat, sizeof(double));
	for (int i = 0; i < repeat; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		scmp_filter_ctx ctx = build(optimize, 0);
		export_to(ctx, "/dev/null");
		seccomp_release(ctx);
		clock_gettime(CLOCK_MONOTONIC, &b);
		t[i] = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
	}
	qsort(t, repeat, sizeof(double), by_value);
	double median = t[repeat / 2];
	free(t);
	return median;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s PROFILE.txt OUT_DEFAULT.bpf OUT_TREE.bpf [REPEAT]\n", argv[0]);
		return 2;
	}
	int repeat = argc > 4 ? atoi(argv[4]) : 50;
	const struct scmp_version *v = seccomp_version();
	read_profile(argv[1]);
	printf("version %u.%u.%u\n", v->major, v->minor, v->micro);

	scmp_filter_ctx ctx = build(0, 1);
	export_to(ctx, argv[2]);
	seccomp_release(ctx);
	printf("skipped %d\n", skipped);
	printf("default build_us %.1f\n", time_build(0, repeat));

	ctx = build(2, 1);
	if (ctx == NULL) {
		printf("tree unsupported\n");
		unlink(argv[3]);
		return 0;
	}
	export_to(ctx, argv[3]);
	seccomp_release(ctx);
	printf("tree build_us %.1f\n", time_build(2, repeat));
	return 0;
}
