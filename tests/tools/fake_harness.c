/*
 * fake_harness.c - a stand-in for a benchmark under `kaudit observe` on a
 * machine with no GPU.  It does what the CUDA driver does with
 * CUDA_INJECTION64_PATH (dlopen, InitializeInjection) and then plays a
 * scenario file through the library's send function: one JSON record per
 * line, sent as it is, except
 *   # ...            a comment
 *   !spawn FILE      run this program again on FILE as a child process (it
 *                    inherits the environment, as a real child does) and wait
 *   !exit N          exit with status N once the file is played
 *   !raw TEXT        send TEXT as it is (malformed lines, for the supervisor)
 * Usage: fake_harness SCENARIO.  Without CUDA_INJECTION64_PATH it only runs
 * the directives (a process that never reached CUDA).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int (*send_fn)(const char *, size_t);

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fake_harness SCENARIO\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	send_fn send = NULL;
	const char *lib = getenv("CUDA_INJECTION64_PATH");
	if (lib && *lib) {
		void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
		int (*init)(void) = h ? (int (*)(void))dlsym(h, "InitializeInjection") : NULL;
		if (!init) {
			fprintf(stderr, "fake_harness: %s: %s\n", lib, dlerror());
			return 3;
		}
		init();
		send = (send_fn)dlsym(h, "kaudit_fake_observe_send");
	}
	char line[65536];
	int status = 0;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (strncmp(line, "!spawn ", 7) == 0) {
			line[strcspn(line, "\n")] = '\0';
			pid_t p = fork();
			if (p == 0) {
				execl(argv[0], argv[0], line + 7, (char *)NULL);
				_exit(127);
			}
			int st;
			waitpid(p, &st, 0);
		} else if (strncmp(line, "!exit ", 6) == 0) {
			status = atoi(line + 6);
		} else if (strncmp(line, "!raw ", 5) == 0) {
			if (send)
				send(line + 5, strlen(line + 5));
		} else if (send) {
			send(line, strlen(line));
		}
	}
	fclose(f);
	return status;
}
