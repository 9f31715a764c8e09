/* The baseline for Benchmarks/bench-flows.sh: the cheapest possible reader of a capture.
 * Loops pcap_next_ex over the file and counts packets and bytes; nothing else. The file is read
 * through a page-aligned 256 KiB stdio buffer, as streamprobe's FileSource does, so the comparison
 * measures decoding and flow tracking, not buffer sizes.
 * Build: cc -O2 -o pcap_loop pcap_loop.c -lpcap */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s CAPTURE\n", argv[0]);
        return 64;
    }
    char err[PCAP_ERRBUF_SIZE];
    FILE *file = fopen(argv[1], "rb");
    if (!file) {
        perror(argv[1]);
        return 66;
    }
    void *buffer = NULL;
    if (posix_memalign(&buffer, 4096, 256 * 1024) == 0) setvbuf(file, buffer, _IOFBF, 256 * 1024);
    pcap_t *p = pcap_fopen_offline(file, err);
    if (!p) {
        fprintf(stderr, "pcap_loop: %s\n", err);
        return 66;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t packets = 0, bytes = 0, captured = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        packets++;
        bytes += h->len;
        captured += data[h->caplen - 1]; /* touch the packet's last byte, as a decoder would its headers */
    }
    if (rc != PCAP_ERROR_BREAK) fprintf(stderr, "pcap_loop: %s\n", pcap_geterr(p));
    printf("%llu packets, %llu bytes (checksum %llu)\n", (unsigned long long)packets, (unsigned long long)bytes,
           (unsigned long long)captured);
    pcap_close(p);
    return 0;
}
