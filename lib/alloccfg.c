// SPDX-License-Identifier: Apache-2.0
/*
 * alloccfg.c - parse upstream's .meta/.alloc.cfg (famfs/alloccfg.h) with
 * libyaml, refusing anything that is not exactly the expected shape.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "famfs/alloccfg.h"
#include "famfs/err.h"
#include "famfs/meta.h"

#define CFG	".alloc.cfg"

/* A scalar node's text, or NULL. */
static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static unsigned long line_of(yaml_node_t *n)
{
	return (unsigned long)n->start_mark.line + 1;
}

/* A number with an optional k/m/g suffix (powers of 1024). */
static int parse_num(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (tolower((unsigned char)*end)) {
	case '\0': break;
	case 'k': shift = 10; end++; break;
	case 'm': shift = 20; end++; break;
	case 'g': shift = 30; end++; break;
	default: return -EINVAL;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/* One "key: value" pair of the section. */
static int parse_pair(yaml_document_t *doc, yaml_node_pair_t *p, unsigned int *seen,
		      struct famfs_interleave_param *ip)
{
	static const struct { const char *name; uint64_t max; } keys[] = {
		{ "nbuckets", FAMFS_MAX_NBUCKETS },
		{ "nstrips", FAMFS_OMF_MAX_STRIPS },
		{ "chunk_size", UINT32_MAX },	/* the wire's u32; alloc checks the rest */
	};
	yaml_node_t *kn = yaml_document_get_node(doc, p->key);
	yaml_node_t *vn = yaml_document_get_node(doc, p->value);
	const char *k = scalar(kn), *v = scalar(vn);
	uint64_t val;
	unsigned int i;

	if (!k)
		return famfs_err(-EINVAL, CFG ": line %lu: a key must be a plain name",
				 kn ? line_of(kn) : 0);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(k, keys[i].name))
			break;
	if (i == sizeof(keys) / sizeof(keys[0]))
		return famfs_err(-EINVAL, CFG ": line %lu: unknown key '%.40s' (nbuckets, "
				 "nstrips, chunk_size)", line_of(kn), k);
	if (*seen & (1u << i))
		return famfs_err(-EINVAL, CFG ": line %lu: '%s' given twice", line_of(kn), k);
	*seen |= 1u << i;
	if (!v || parse_num(v, &val))
		return famfs_err(-EINVAL, CFG ": line %lu: %s: '%.40s' is not a number",
				 line_of(vn ? vn : kn), k, v ? v : "(not a scalar)");
	if (val < 1 || val > keys[i].max)
		return famfs_err(-EINVAL, CFG ": line %lu: %s %llu is out of range (1..%llu)",
				 line_of(vn), k, (unsigned long long)val,
				 (unsigned long long)keys[i].max);
	if (i == 0)
		ip->nbuckets = val;
	else if (i == 1)
		ip->nstrips = val;
	else
		ip->chunk_size = val;
	return 0;
}

/* The root mapping: one section. */
static int parse_doc(yaml_document_t *doc, struct famfs_interleave_param *ip)
{
	yaml_node_t *root = yaml_document_get_root_node(doc), *sec, *kn;
	yaml_node_pair_t *p, *q;
	unsigned int seen = 0;
	const char *k;
	bool found = false;
	int rc;

	if (!root || (root->type == YAML_SCALAR_NODE && !*scalar(root)))
		return 0;	/* an empty document: no defaults */
	if (root->type != YAML_MAPPING_NODE)
		return famfs_err(-EINVAL, CFG ": line %lu: expected 'interleaved_alloc:'",
				 line_of(root));
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		kn = yaml_document_get_node(doc, p->key);
		k = scalar(kn);
		if (!k || (strcmp(k, "interleaved_alloc") && strcmp(k, "interleave")))
			return famfs_err(-EINVAL, CFG ": line %lu: unknown section '%.40s' "
					 "(expected interleaved_alloc)", kn ? line_of(kn) : 0,
					 k ? k : "(not a scalar)");
		if (found)
			return famfs_err(-EINVAL, CFG ": line %lu: a second section",
					 line_of(kn));
		found = true;
		sec = yaml_document_get_node(doc, p->value);
		if (!sec || (sec->type == YAML_SCALAR_NODE && !*scalar(sec)))
			continue;	/* "interleaved_alloc:" with nothing under it */
		if (sec->type != YAML_MAPPING_NODE)
			return famfs_err(-EINVAL, CFG ": line %lu: %s must hold nbuckets, "
					 "nstrips and chunk_size", line_of(sec), k);
		for (q = sec->data.mapping.pairs.start; q < sec->data.mapping.pairs.top; q++) {
			rc = parse_pair(doc, q, &seen, ip);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int famfs_alloc_cfg_parse(const char *buf, size_t len, struct famfs_interleave_param *ip)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc;

	memset(ip, 0, sizeof(*ip));
	if (len > FAMFS_ALLOC_CFG_MAX)
		return famfs_err(-EINVAL, CFG ": %zu bytes (at most %d)", len,
				 FAMFS_ALLOC_CFG_MAX);
	if (memchr(buf, '\0', len))
		return famfs_err(-EINVAL, CFG ": a NUL byte (not a YAML text file)");
	if (!yaml_parser_initialize(&parser))
		return famfs_err(-ENOMEM, CFG ": out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = famfs_err(-EINVAL, CFG ": line %lu: %s", (unsigned long)
			       parser.problem_mark.line + 1,
			       parser.problem ? parser.problem : "not YAML");
		yaml_parser_delete(&parser);
		return rc;
	}
	rc = parse_doc(&doc, ip);
	yaml_document_delete(&doc);
	if (!rc) {
		/* one document only: a second is refused, the end is fine */
		if (!yaml_parser_load(&parser, &doc)) {
			rc = famfs_err(-EINVAL, CFG ": line %lu: %s", (unsigned long)
				       parser.problem_mark.line + 1,
				       parser.problem ? parser.problem : "not YAML");
		} else {
			if (yaml_document_get_root_node(&doc))
				rc = famfs_err(-EINVAL, CFG ": more than one YAML document");
			yaml_document_delete(&doc);
		}
	}
	yaml_parser_delete(&parser);
	if (rc)
		memset(ip, 0, sizeof(*ip));
	return rc;
}
