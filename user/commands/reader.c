// SPDX-License-Identifier: GPL-2.0
/* The maps and names the reader commands share: see reader.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "persist.h"
#include "privs.h"
#include "reader.h"
#include "util.h"

void source_load_names(struct source *s, const char *pin_path)
{
	struct persist p;

	free(s->ifs);
	s->ifs = NULL;
	s->n_ifs = 0;
	s->n_ifc = 0;
	persist_init(&p);
	/* No records is no error: the names then come from this netns. */
	if (!persist_prepare(&p, pin_path ? pin_path : RST_PIN_DEFAULT,
			     PERSIST_READ | PERSIST_QUIET))
		persist_list(&p, &s->ifs, &s->n_ifs);
	snprintf(s->desc, sizeof(s->desc), "pinned %s", p.path);
	persist_close(&p);
}

int source_open(const char *pin_path, struct source *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	if (check_privileges(PRIV_READ))
		return -EPERM;
	err = maps_open_pinned(pin_path, &s->m);
	if (!err) {
		s->pinned = 1;
		source_load_names(s, pin_path);
		return 0;
	}
	if (err != -ENOENT)
		return err;
	if (pin_path) {
		pr_warn("no persistent attachment under %s", pin_path);
		return err;
	}
	err = maps_find_live(&s->m);
	if (err == -ENOENT)
		pr_warn("nothing to read: no persistent attachment under %s and no "
			"running rsttrace (start `rsttrace attach` or `rsttrace watch`)",
			RST_PIN_DEFAULT);
	if (!err)
		snprintf(s->desc, sizeof(s->desc), "live");
	return err;
}

void source_close(struct source *s)
{
	maps_close(&s->m);
	free(s->ifs);
	s->ifs = NULL;
}

const char *source_ifname(struct source *s, __u32 ifindex, char *buf)
{
	struct ifname_ent *e;
	int i;

	if (!ifindex)
		return NULL;
	for (i = 0; i < s->n_ifc; i++)
		if (s->ifc[i].ifindex == ifindex)
			return s->ifc[i].known ? s->ifc[i].name : NULL;
	e = s->n_ifc < IFNAME_CACHE ? &s->ifc[s->n_ifc++] : NULL;
	for (i = 0; i < s->n_ifs; i++) {
		if (s->ifs[i].ifindex == ifindex && s->ifs[i].here && !s->ifs[i].gone) {
			snprintf(buf, IF_NAMESIZE, "%s", s->ifs[i].ifname);
			break;
		}
	}
	if (i == s->n_ifs && !if_indextoname(ifindex, buf))
		buf = NULL;
	if (e) {
		e->ifindex = ifindex;
		e->known = buf != NULL;
		if (buf)
			snprintf(e->name, sizeof(e->name), "%s", buf);
	}
	return buf;
}

const char *source_kind(const struct source *s)
{
	return s->pinned ? "pinned" : "live";
}

const char *addr_str(const __u8 *addr, __u8 family, char *buf, size_t len)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

const char *family_str(__u8 family)
{
	return family == AF_INET6 ? "ipv6" : "ipv4";
}
