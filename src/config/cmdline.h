/* Value parsers of src/config (cmdline.c).  Internal to the module. */
#ifndef SSHBROKER_CONFIG_CMDLINE_H
#define SSHBROKER_CONFIG_CMDLINE_H

#include <stddef.h>

struct cfg_forward;

int cfg_strtonum(const char *s, long long lo, long long hi, long long *out);
int cfg_parse_tun(const char *s, int *remote);
int cfg_parse_ipqos(const char *s);
const char *cfg_ipqos_name(int v, char *buf, size_t len);
int cfg_parse_scaled(const char *s, long long *result);
int cfg_valid_domain(char *name, int makelower, const char **whyp);
char *cfg_hpdelim(char **cp);
char *cfg_clean_hostname(char *host);
int cfg_parse_user_host_port(const char *s, char **userp, char **hostp,
    int *portp);
int cfg_parse_ssh_uri(const char *uri, char **userp, char **hostp,
    int *portp);
int cfg_parse_forward(struct cfg_forward *f, const char *spec, int dynamic,
    int remote);
void cfg_forward_clear(struct cfg_forward *f);

#endif
