/* tests/fuzz/fuzz_lab.c — libFuzzer target for the lab-script language: the
 * input is a lab file, parsed (statements, claims, display filters, report
 * templates) and, when it parses, its claims evaluated over a small trace of
 * one handshake. Every error must be a message, never a crash or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "harness/claim.h"
#include "harness/lab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void mk(struct pkt *p, uint32_t n, int dir, uint8_t flags, uint32_t seq, uint32_t ack)
{
	memset(p, 0, sizeof(*p));
	p->n = n;
	p->t = n * 0.001;
	p->is_tcp = 1;
	p->ipver = 4;
	p->dir = (int8_t)dir;
	p->flags = flags;
	p->seq = seq;
	p->ack = ack;
	p->ack_valid = !!(flags & TCPF_ACK);
	p->wirelen = 66;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt pkts[3];
	struct trace tr;
	struct lab *lab = NULL;
	struct claim_result *res = NULL;
	char err[512];

	if (lab_parse("fuzz.lab", (const char *)data, size, &lab, err, sizeof(err)))
		return 0;
	mk(&pkts[0], 1, PKT_DIR_CLIENT, TCPF_SYN, 0, 0);
	mk(&pkts[1], 2, PKT_DIR_SERVER, TCPF_SYN | TCPF_ACK, 0, 1);
	mk(&pkts[2], 3, PKT_DIR_CLIENT, TCPF_ACK, 1, 1);
	memset(&tr, 0, sizeof(tr));
	tr.pkts = pkts;
	tr.npkts = 3;
	tr.nframes = 3;
	if (claim_eval_all(lab, &tr, &res, err, sizeof(err)) == 0)
		claim_results_free(res, lab->nclaims);
	lab_free(lab);
	return 0;
}
