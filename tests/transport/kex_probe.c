/*
 * kex_probe: drives one transport over a TCP connection, as the broker
 * will, for the interoperability tests.  Connects to HOST PORT, runs the
 * key exchange with the algorithms given, checks the host key against a
 * known_hosts file, waits for SERVICE_ACCEPT, optionally streams IGNORE
 * packets through many re-keys, and prints what was negotiated.
 *
 * usage: kex_probe [-k kex] [-H hostkeyalg] [-c cipher] [-m mac]
 *        [-f known_hosts] [-s yes|no|accept-new|ask] [-n name]
 *        [-R rekey_bytes] [-S stream_bytes] [-t timeout_ms] host port
 * Exit 0 when the transport reached READY (and the stream, if any, went
 * through); 1 otherwise, with the reason on stderr.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "transport/knownhosts.h"
#include "transport/transport.h"

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
connect_tcp(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			int one = 1;

			/* small handshake packets must not wait for Nagle */
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
			break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static char *
read_file(const char *path, size_t *lenp)
{
	struct stat st;
	char *data;
	int fd;
	ssize_t n;

	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || (data = malloc((size_t)st.st_size + 1)) ==
	    NULL) {
		close(fd);
		return NULL;
	}
	n = read(fd, data, (size_t)st.st_size);
	close(fd);
	if (n < 0) {
		free(data);
		return NULL;
	}
	*lenp = (size_t)n;
	return data;
}

int
main(int argc, char **argv)
{
	struct transport_params p;
	struct transport *t = NULL;
	struct known_hosts *kh = NULL;
	struct transport_event ev;
	const char *khfile = NULL, *name = NULL, *ask = NULL;
	const char *user = NULL, *password = NULL, *methods = NULL;
	const char *command = NULL;
	int authed = 0, exit_status = -1, closed = 0, stdin_done = 0;
	uint32_t chan = 0;
	int nchan = 1, nopen = 0, nclosed = 0, nbad = 0;
	uint32_t chans[256];
	size_t in_off = 0, in_len = 0;
	static unsigned char inbuf[65536];
	const char *names[1];
	unsigned char rbuf[65536], junk[16384];
	const unsigned char *out;
	size_t outlen, consumed, khlen, pend_off = 0, pend_len = 0;
	uint64_t stream = 0, sent = 0, deadline, kexes = 0;
	int opt, fd, r, ready = 0, status = 1, timeout_ms = 10000;
	char *khtext;
	struct pollfd pfd;
	ssize_t n;

	memset(&p, 0, sizeof(p));
	p.strict = TRANSPORT_HOSTKEY_STRICT_YES;
	while ((opt = getopt(argc, argv, "k:H:c:m:f:s:n:R:S:t:a:u:P:M:x:C:")) != -1) {
		switch (opt) {
		case 'k': p.kex_algorithms = optarg; break;
		case 'H': p.hostkey_algorithms = optarg; break;
		case 'c': p.ciphers = optarg; break;
		case 'm': p.macs = optarg; break;
		case 'f': khfile = optarg; break;
		case 'n': name = optarg; break;
		case 'a': ask = optarg; break;
		case 'u': user = optarg; break;
		case 'P': password = optarg; break;
		case 'M': methods = optarg; break;
		case 'x': command = optarg; break;
		case 'C':
			nchan = atoi(optarg);
			if (nchan < 1 || nchan > 256)
				nchan = 1;
			break;
		case 'R': p.rekey_bytes = strtoull(optarg, NULL, 10); break;
		case 'S': stream = strtoull(optarg, NULL, 10); break;
		case 't': timeout_ms = atoi(optarg); break;
		case 's':
			if (strcmp(optarg, "no") == 0)
				p.strict = TRANSPORT_HOSTKEY_STRICT_NO;
			else if (strcmp(optarg, "accept-new") == 0)
				p.strict = TRANSPORT_HOSTKEY_STRICT_ACCEPT_NEW;
			else if (strcmp(optarg, "ask") == 0)
				p.strict = TRANSPORT_HOSTKEY_STRICT_ASK;
			else
				p.strict = TRANSPORT_HOSTKEY_STRICT_YES;
			break;
		default:
			fprintf(stderr, "kex_probe: bad option\n");
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: kex_probe [options] host port\n");
		return 2;
	}
	if ((kh = known_hosts_new()) == NULL)
		return 2;
	if (khfile != NULL) {
		if ((khtext = read_file(khfile, &khlen)) != NULL) {
			(void)known_hosts_add_text(kh, khfile, khtext, khlen, NULL);
			free(khtext);
		}
	}
	names[0] = name != NULL ? name : argv[optind];
	p.known_hosts = kh;
	p.hostkey_names = names;
	p.n_hostkey_names = 1;
	if ((fd = connect_tcp(argv[optind], argv[optind + 1])) == -1) {
		fprintf(stderr, "kex_probe: connect: %s\n", strerror(errno));
		known_hosts_free(kh);
		return 1;
	}
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	if ((r = transport_new(&p, now_ms(), &t)) != ERR_OK) {
		fprintf(stderr, "kex_probe: transport_new: %s\n", err_str(r));
		goto done;
	}
	memset(junk, 'j', sizeof(junk));
	junk[0] = 2;    /* SSH_MSG_IGNORE: uint32 len || data follows */
	junk[1] = 0; junk[2] = 0; junk[3] = 0x3f; junk[4] = 0xfb;
	deadline = now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		while (transport_next_event(t, &ev) == ERR_OK &&
		    ev.type != TRANSPORT_EV_NONE) {
			switch (ev.type) {
			case TRANSPORT_EV_READY:
				if (user == NULL) {
					ready = 1;
					break;
				}
				if ((r = transport_auth_start(t, user, methods,
				    3)) != ERR_OK) {
					fprintf(stderr, "kex_probe: auth: %s\n",
					    err_str(r));
					goto done;
				}
				break;
			case TRANSPORT_EV_AUTH_PROMPT:
				(void)transport_auth_answer(t, password);
				break;
			case TRANSPORT_EV_AUTH_SIGN:
				(void)transport_auth_signature(t, NULL, 0);
				break;
			case TRANSPORT_EV_AUTHENTICATED:
				authed = 1;
				if (command == NULL) {
					ready = 1;
					break;
				}
				for (nopen = 0; nopen < nchan; nopen++) {
					if ((r = channel_open_session(t,
					    &chans[nopen])) != ERR_OK) {
						fprintf(stderr, "kex_probe: open: %s\n",
						    err_str(r));
						goto done;
					}
				}
				chan = chans[0];
				break;
			case TRANSPORT_EV_CHANNEL_OPEN:
				if ((r = channel_request_exec(t, ev.channel,
				    command)) != ERR_OK)
					goto done;
				if (nchan > 1)
					(void)channel_eof(t, ev.channel);
				break;
			case TRANSPORT_EV_CHANNEL_OPEN_FAILED:
				fprintf(stderr, "kex_probe: channel refused: %s\n",
				    ev.line);
				goto done;
			case TRANSPORT_EV_CHANNEL_DATA:
			case TRANSPORT_EV_CHANNEL_EXT_DATA:
				/* write it all out, then give the window back */
				{
					size_t w = 0;
					int ofd = ev.type == TRANSPORT_EV_CHANNEL_DATA ?
					    1 : 2;

					if (nchan > 1)
						printf("[%u] ", ev.channel);
					fflush(stdout);
					while (w < ev.packet_len) {
						n = write(ofd, ev.packet + w,
						    ev.packet_len - w);
						if (n <= 0)
							break;
						w += (size_t)n;
					}
					(void)channel_consumed(t, ev.channel,
					    ev.packet_len);
				}
				break;
			case TRANSPORT_EV_CHANNEL_EXIT_STATUS:
				exit_status = ev.code;
				if (ev.code != 0)
					nbad++;
				break;
			case TRANSPORT_EV_CHANNEL_EXIT_SIGNAL:
				fprintf(stderr, "kex_probe: killed by signal %s\n",
				    ev.line);
				exit_status = 255;
				break;
			case TRANSPORT_EV_CHANNEL_CLOSED:
				if (++nclosed < nchan)
					break;
				closed = 1;
				ready = 1;
				if (nchan > 1)
					exit_status = nbad == 0 ? 0 : 1;
				break;
			case TRANSPORT_EV_REKEYED:
				kexes++;
				break;
			case TRANSPORT_EV_HOSTKEY_ASK:
				printf("ask %s %s\n", ev.key_type, ev.fingerprint);
				(void)transport_hostkey_decide(t,
				    ask != NULL && strcmp(ask, "yes") == 0);
				break;
			case TRANSPORT_EV_HOSTKEY_LEARNED:
				printf("learned %s", ev.line);
				break;
			case TRANSPORT_EV_DISCONNECTED:
				fprintf(stderr, "kex_probe: %s\n", ev.reason);
				goto done;
			default:
				break;
			}
		}
		if (command != NULL && authed && !closed && !stdin_done &&
		    nchan == 1 &&
		    channel_writable(t, chan) > 0) {
			size_t w = 0;

			if (in_len == 0) {
				n = read(0, inbuf, sizeof(inbuf));
				if (n <= 0) {
					stdin_done = 1;
					(void)channel_eof(t, chan);
				} else {
					in_off = 0;
					in_len = (size_t)n;
				}
			}
			if (in_len > 0 && channel_write(t, chan, inbuf + in_off,
			    in_len, &w) == ERR_OK) {
				in_off += w;
				in_len -= w;
			}
		}
		if (ready && sent < stream) {
			while (sent < stream) {
				r = transport_send_packet(t, junk, sizeof(junk) - 1);
				if (r == ERR_AGAIN)
					break;
				if (r != ERR_OK) {
					fprintf(stderr, "kex_probe: send: %s\n",
					    err_str(r));
					goto done;
				}
				sent += sizeof(junk) - 1;
				transport_output(t, &out, &outlen);
				if (outlen > 1024 * 1024)
					break;
			}
		}
		if (ready && sent >= stream && transport_idle(t)) {
			transport_output(t, &out, &outlen);
			if (outlen == 0) {
				status = 0;
				break;
			}
		}
		if (now_ms() > deadline) {
			fprintf(stderr, "kex_probe: timed out\n");
			goto done;
		}
		transport_output(t, &out, &outlen);
		pfd.fd = fd;
		pfd.events = POLLIN | (outlen > 0 ? POLLOUT : 0);
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			goto done;
		if (outlen > 0 && (pfd.revents & POLLOUT)) {
			n = write(fd, out, outlen);
			if (n > 0)
				transport_output_consume(t, (size_t)n);
		}
		if (pend_len == 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
			n = read(fd, rbuf, sizeof(rbuf));
			if (n == 0) {
				(void)transport_input_eof(t);
				continue;
			}
			if (n < 0) {
				if (errno != EAGAIN && errno != EINTR)
					(void)transport_input_eof(t);
				continue;
			}
			pend_off = 0;
			pend_len = (size_t)n;
		}
		/* what the transport did not take waits until events are
		 * pulled */
		while (pend_len > 0) {
			r = transport_input(t, rbuf + pend_off, pend_len,
			    &consumed);
			pend_off += consumed;
			pend_len -= consumed;
			if (r != ERR_OK || consumed == 0)
				break;
		}
		(void)transport_tick(t, now_ms());
	}
	if (command == NULL)
	printf("kex %s\nhostkey %s\ncipher %s %s\nmac %s %s\nstrict %d\n",
	    transport_negotiated(t, "kex"), transport_negotiated(t, "hostkey"),
	    transport_negotiated(t, "cipher_ctos"),
	    transport_negotiated(t, "cipher_stoc"),
	    transport_negotiated(t, "mac_ctos") ?
	    transport_negotiated(t, "mac_ctos") : "-",
	    transport_negotiated(t, "mac_stoc") ?
	    transport_negotiated(t, "mac_stoc") : "-",
	    transport_strict_kex(t));
	if (stream > 0)
		printf("streamed %llu rekeys %llu\n", (unsigned long long)sent,
		    (unsigned long long)kexes);
	if (authed && command == NULL)
		printf("authenticated as %s\n", user);
	if (command != NULL)
		status = exit_status < 0 ? 255 : exit_status;
 done:
	transport_free(t);
	known_hosts_free(kh);
	close(fd);
	return status;
}
