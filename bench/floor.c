/*
 * floor - the least a pipe delivery agent can do: read the message on
 * standard input to the end and exit 0. The benchmark's floor: any agent
 * pays at least this (fork, exec, dynamic loader, reading stdin).
 */
#include <unistd.h>

int
main(void)
{
	static char buf[65536];
	ssize_t n;

	while ((n = read(0, buf, sizeof(buf))) > 0)
		;
	return n < 0 ? 75 : 0;
}
