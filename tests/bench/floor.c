/* tests/bench/floor.c — the floor for reading a capture: a bare libpcap
 * loop that finds the IPv4 and TCP headers of every frame and reads what
 * `tshark -T fields -e frame.number -e tcp.flags -e tcp.seq -e tcp.ack
 * -e tcp.len` prints (raw numbers: no stream table, no analysis, no
 * reassembly, no output). Nothing can read the file faster than this, so
 * `wirelab check` is measured against it.
 *
 *     floor CAPTURE    prints "<frames> frames <tcp> tcp <sum>"
 *
 * The sum keeps the compiler from dropping the reads. Links: Ethernet
 * (with VLAN tags), Linux cooked v1/v2, raw IP.
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t frames = 0, tcp = 0, sum = 0;
	pcap_t *pc;
	int dlt, r;

	if (argc != 2) {
		fprintf(stderr, "usage: floor CAPTURE\n");
		return 2;
	}
	pc = pcap_open_offline(argv[1], errbuf);
	if (!pc) {
		fprintf(stderr, "floor: %s\n", errbuf);
		return 2;
	}
	dlt = pcap_datalink(pc);
	while ((r = pcap_next_ex(pc, &h, &d)) == 1) {
		uint32_t cl = h->caplen, off;

		frames++;
		switch (dlt) {
		case DLT_EN10MB:
			off = 12;
			while (off + 2 <= cl &&
			       (get16(d + off) == 0x8100 || get16(d + off) == 0x88a8))
				off += 4;
			if (off + 2 > cl || get16(d + off) != 0x0800)
				continue;
			off += 2;
			break;
		case DLT_LINUX_SLL:
			if (cl < 16 || get16(d + 14) != 0x0800)
				continue;
			off = 16;
			break;
#ifdef DLT_LINUX_SLL2
		case DLT_LINUX_SLL2:
			if (cl < 20 || get16(d) != 0x0800)
				continue;
			off = 20;
			break;
#endif
		case DLT_RAW:
			off = 0;
			break;
		default:
			continue;
		}
		if (cl < off + 20 || (d[off] >> 4) != 4 || d[off + 9] != 6)
			continue;
		uint32_t ihl = (d[off] & 0x0fu) * 4, total = get16(d + off + 2);

		if (ihl < 20 || total < ihl + 20 || cl < off + ihl + 20)
			continue;
		const uint8_t *t = d + off + ihl;
		uint32_t thl = (uint32_t)(t[12] >> 4) * 4;
		uint32_t len = total - ihl >= thl ? total - ihl - thl : 0;

		tcp++;
		/* flags, seq, ack, len (and the ports a stream key would use) */
		sum += t[13] + get32(t + 4) + get32(t + 8) + len + get16(t) + get16(t + 2);
	}
	if (r == -1) {
		fprintf(stderr, "floor: %s: %s\n", argv[1], pcap_geterr(pc));
		pcap_close(pc);
		return 2;
	}
	printf("%" PRIu64 " frames %" PRIu64 " tcp %" PRIu64 "\n", frames, tcp, sum);
	pcap_close(pc);
	return 0;
}
