/* Writes a synthetic capture for Benchmarks/bench-flows.sh: a realistic mix for a home link.
 *   - TCP bulk downloads (~85% of packets): handshake, a request, 200..4000 server segments of 1448 B
 *     payload in trains of 1..TRAIN (default 8) back-to-back segments, a client ACK every second
 *     segment, FIN both ways;
 *   - QUIC-like UDP 443 flows (~12%): 1250..1350 B server datagrams, a 60 B client datagram every 4th;
 *   - DNS over UDP 53 (~1-2%): one query and one response per new client port;
 *   - 30% of flows over IPv6; Ethernet link type; about 240 flows active at any time, interleaved.
 * Headers have real lengths; checksums are left zero (nothing here verifies them).
 *
 * With -u, a busy uplink instead (Benchmarks/bench-peers.sh's flow-heavy capture): 3,000 flows active
 * at once in the generator, from 4,096 clients to 4,096 server names (two addresses each), most short:
 *   - TLS over TCP 443 (~50% of flows): handshake, a ClientHello with a real server_name extension
 *     (shop, news, maps, mail, CDN names: no audio service), 4..40 data segments of 100..1448 B (one in
 *     three from the client), then FIN both ways (one in ten ends with a RST+ACK instead);
 *   - QUIC on UDP 443 (~30%): 6..60 datagrams, the first a 1250 B client Initial (long header);
 *   - DNS on UDP 53 (~20%): a query and a response with a CNAME and two A or AAAA answers (the name's
 *     two server addresses, so later flows to them get the name from DNS);
 *   - 35% of flows over IPv6; packets of the active flows interleaved at random.
 * Deterministic for a given seed. Build: cc -O2 -o gen_mix gen_mix.c
 * Usage: gen_mix [-u] PACKETS OUT.pcap [SEED [TRAIN]]   (TRAIN 1: every packet from a random flow, the worst case) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;
static uint64_t rnd(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

enum { TCP_BULK, QUIC, DNS, TLS_SHORT };
typedef struct {
    int kind, v6, stage;
    uint32_t client, server; /* IPv4 or the low 32 bits of an IPv6 address */
    uint16_t cport, sport;
    uint32_t cseq, sseq;
    int remaining, sent;
    int name;         /* uplink mode: which server name (TLS SNI, DNS question) */
    uint32_t answer;  /* uplink mode: the first server address of that name (DNS answers) */
} Flow;

static FILE *out;
static unsigned char frame[2048];
static double now = 1700000000.0;
static long written, target;
static int train = 8;

static void put16(unsigned char *p, uint16_t v) { p[0] = v >> 8; p[1] = v; }
static void put32(unsigned char *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

/* Uplink mode: bytes written at the start of the payload (a ClientHello, a DNS message); zeros after. */
static unsigned char head[600];
static int head_length;

static void emit(Flow *f, int from_client, int tcp_flags, int payload) {
    int is_tcp = f->kind == TCP_BULK || f->kind == TLS_SHORT;
    int l3 = f->v6 ? 40 : 20, l4 = is_tcp ? 20 : 8;
    int ip_len = l3 + l4 + payload, len = 14 + ip_len;
    memset(frame, 0, 14 + l3 + l4 + (head_length > 8 ? head_length : 8));
    frame[0] = 0x02; frame[5] = from_client ? 0xFE : 0x01;
    frame[6] = 0x02; frame[11] = from_client ? 0x01 : 0xFE;
    uint32_t src = from_client ? f->client : f->server, dst = from_client ? f->server : f->client;
    unsigned char *ip = frame + 14, *th = ip + l3;
    int proto = is_tcp ? 6 : 17;
    if (f->v6) {
        put16(frame + 12, 0x86DD);
        ip[0] = 0x60; put16(ip + 4, l4 + payload); ip[6] = proto; ip[7] = 64;
        put32(ip + 8, from_client ? 0x20010db8 : 0x2a044e42); put32(ip + 20, src);
        put32(ip + 24, from_client ? 0x2a044e42 : 0x20010db8); put32(ip + 36, dst);
    } else {
        put16(frame + 12, 0x0800);
        ip[0] = 0x45; put16(ip + 2, ip_len); ip[6] = 0x40; ip[8] = 64; ip[9] = proto;
        put32(ip + 12, src); put32(ip + 16, dst);
    }
    put16(th, from_client ? f->cport : f->sport);
    put16(th + 2, from_client ? f->sport : f->cport);
    if (proto == 6) {
        put32(th + 4, from_client ? f->cseq : f->sseq);
        put32(th + 8, tcp_flags & 0x10 ? (from_client ? f->sseq : f->cseq) : 0);
        th[12] = 5 << 4; th[13] = tcp_flags; put16(th + 14, 65535);
        if (from_client) f->cseq += payload + ((tcp_flags & 3) ? 1 : 0);
        else f->sseq += payload + ((tcp_flags & 3) ? 1 : 0);
    } else {
        put16(th + 4, 8 + payload);
    }
    /* Payload bytes stay zero; a QUIC long/short header byte and a DNS header where it matters. */
    if (f->kind == QUIC && payload > 0) th[8] = f->sent == 0 ? 0xC3 : 0x41;
    if (head_length > 0) memcpy(th + l4, head, head_length);
    head_length = 0;
    now += 0.000004 + (rnd() % 40) * 0.000001;
    uint32_t hdr[4] = {(uint32_t)now, (uint32_t)((now - (uint32_t)now) * 1e6), (uint32_t)len, (uint32_t)len};
    fwrite(hdr, 4, 4, out);
    fwrite(frame, 1, len, out);   /* the payload is zeros after its first bytes */
    written++;
    f->sent++;
}

static void start(Flow *f) {
    uint64_t r = rnd() % 100;
    memset(f, 0, sizeof *f);
    f->kind = r < 70 ? TCP_BULK : r < 88 ? QUIC : DNS;
    f->v6 = rnd() % 10 < 3;
    f->client = 0xC0A80100 | (1 + rnd() % 20);
    f->server = f->kind == DNS ? 0xC0A80101 : 0x97650000 | (uint32_t)(rnd() % 4096);
    f->cport = 49152 + rnd() % 16000;
    f->sport = f->kind == TCP_BULK ? 443 : f->kind == QUIC ? 443 : 53;
    f->cseq = (uint32_t)rnd(); f->sseq = (uint32_t)rnd();
    f->remaining = f->kind == TCP_BULK ? 200 + rnd() % 3800 : f->kind == QUIC ? 100 + rnd() % 1500 : 0;
}

/* One step of a flow; returns 0 when the flow is over. */
static int step(Flow *f) {
    switch (f->kind) {
    case DNS:
        if (f->stage == 0) { emit(f, 1, 0, 40); f->stage = 1; return 1; }
        emit(f, 0, 0, 120); return 0;
    case QUIC:
        if (f->remaining-- <= 0) return 0;
        if (f->sent % 5 == 4) emit(f, 1, 0, 52);
        else emit(f, 0, 0, 1250 + rnd() % 100);
        return 1;
    default:
        switch (f->stage) {
        case 0: emit(f, 1, 0x02, 0); f->stage++; return 1;           /* SYN */
        case 1: emit(f, 0, 0x12, 0); f->stage++; return 1;           /* SYN+ACK */
        case 2: emit(f, 1, 0x10, 0); f->stage++; return 1;           /* ACK */
        case 3: emit(f, 1, 0x18, 300); f->stage++; return 1;         /* request */
        case 4:
            if (f->remaining > 0) {
                /* A train of 1..TRAIN segments, as a congestion window flushes; a delayed ACK every second one. */
                for (int k = 1 + rnd() % train; k > 0 && f->remaining > 0; k--) {
                    emit(f, 0, 0x10, 1448);
                    if (--f->remaining % 2 == 0) emit(f, 1, 0x10, 0);
                }
                return 1;
            }
            emit(f, 0, 0x11, 0); f->stage++; return 1;               /* FIN from the server */
        case 5: emit(f, 1, 0x11, 0); f->stage++; return 1;           /* FIN from the client */
        default: emit(f, 0, 0x10, 0); return 0;                     /* last ACK */
        }
    }
}


/* ---- Uplink mode ---- */

static const char *const name_patterns[] = {
    "www.shop%d.example", "static%d.newsfront.example", "tiles%d.maps.example.net", "imap%d.mail.example.org",
    "img%d.cdn.example.com", "api%d.weather.example", "edge%d.video-ads.example.net", "docs%d.office.example.com",
};
enum { NAMES = 4096 };

static int server_name(int name, char *out) {
    return sprintf(out, name_patterns[name % 8], name / 8);
}

/* A TLS 1.3-style ClientHello of 512 bytes (one record) naming the flow's server. */
static void put_client_hello(Flow *f) {
    char host[64];
    int n = server_name(f->name, host);
    unsigned char *h = head;
    int total = 512;
    memset(head, 0, sizeof head);
    h[0] = 22; h[1] = 3; h[2] = 1; put16(h + 3, total - 5);
    h[5] = 1; h[6] = 0; put16(h + 7, total - 9);
    h[9] = 3; h[10] = 3;                                 /* legacy version; 32 random bytes stay zero */
    int i = 11 + 32;
    h[i++] = 32; i += 32;                                /* session id */
    put16(h + i, 6); i += 2; put16(h + i, 0x1301); put16(h + i + 2, 0x1302); put16(h + i + 4, 0x1303); i += 6;
    h[i++] = 1; h[i++] = 0;                              /* compression: null */
    int extensions_at = i; i += 2;
    put16(h + i, 0); put16(h + i + 2, n + 5); put16(h + i + 4, n + 3); h[i + 6] = 0; put16(h + i + 7, n);
    memcpy(h + i + 9, host, n); i += 9 + n;
    put16(h + i, 43); put16(h + i + 2, 3); h[i + 4] = 2; put16(h + i + 5, 0x0304); i += 7;   /* supported_versions */
    put16(h + i, 21); put16(h + i + 2, total - i - 4); i = total;                              /* padding */
    put16(h + extensions_at, total - extensions_at - 2);
    head_length = total;
}

/* A DNS query (response = 0) or response for the flow's name: a CNAME, then one or two A or AAAA answers. */
static int put_dns(Flow *f, int response) {
    char host[64];
    server_name(f->name, host);
    unsigned char *d = head;
    memset(head, 0, sizeof head);
    put16(d, (uint16_t)f->cport); put16(d + 2, response ? 0x8180 : 0x0100);
    put16(d + 4, 1); put16(d + 6, response ? 3 : 0);
    int i = 12;
    const char *label = host;                            /* the question name, as labels */
    while (*label) {
        const char *dot = strchr(label, '.');
        int len = dot ? (int)(dot - label) : (int)strlen(label);
        d[i++] = len; memcpy(d + i, label, len); i += len;
        label += len + (dot ? 1 : 0);
    }
    d[i++] = 0;
    put16(d + i, f->v6 ? 28 : 1); put16(d + i + 2, 1); i += 4;
    if (response) {
        /* example: name CNAME edge.example.net; edge... A/AAAA server (and a second address) */
        put16(d + i, 0xC00C); put16(d + i + 2, 5); put16(d + i + 4, 1); put32(d + i + 6, 300);
        put16(d + i + 10, 18); i += 12;
        int cname = i;
        memcpy(d + i, "\004edge\007example\003net\000", 18); i += 18;
        for (int k = 0; k < 2; k++) {
            put16(d + i, 0xC000 | cname); put16(d + i + 2, f->v6 ? 28 : 1); put16(d + i + 4, 1);
            put32(d + i + 6, 60); i += 10;
            uint32_t address = f->answer + k;
            if (f->v6) { put16(d + i, 16); put32(d + i + 2, 0x2a044e42); put32(d + i + 14, address); i += 18; }
            else { put16(d + i, 4); put32(d + i + 2, address); i += 6; }
        }
    }
    head_length = i;
    return i;
}

static void start_uplink(Flow *f) {
    uint64_t r = rnd() % 100;
    memset(f, 0, sizeof *f);
    f->kind = r < 50 ? TLS_SHORT : r < 80 ? QUIC : DNS;
    f->v6 = rnd() % 100 < 35;
    f->client = 0x0A000000 | (uint32_t)(rnd() % 4096);
    f->name = (int)(rnd() % NAMES);
    f->answer = 0x97000000 | (uint32_t)f->name << 4;     /* each name has two server addresses */
    f->server = f->kind == DNS ? (f->v6 ? 0x00000035 : 0x08080808) : f->answer + (uint32_t)(rnd() % 2);
    f->cport = 32768 + rnd() % 28000;
    f->sport = f->kind == DNS ? 53 : 443;
    f->cseq = (uint32_t)rnd(); f->sseq = (uint32_t)rnd();
    f->remaining = f->kind == TLS_SHORT ? 4 + rnd() % 37 : f->kind == QUIC ? 6 + rnd() % 55 : 0;
}

static int step_uplink(Flow *f) {
    switch (f->kind) {
    case DNS:
        if (f->stage == 0) { emit(f, 1, 0, put_dns(f, 0)); f->stage = 1; return 1; }
        emit(f, 0, 0, put_dns(f, 1)); return 0;
    case QUIC:
        if (f->remaining-- <= 0) return 0;
        if (f->sent == 0) emit(f, 1, 0, 1250);
        else if (rnd() % 3 == 0) emit(f, 1, 0, 40 + rnd() % 200);
        else emit(f, 0, 0, 100 + rnd() % 1250);
        return 1;
    default:
        switch (f->stage) {
        case 0: emit(f, 1, 0x02, 0); f->stage++; return 1;           /* SYN */
        case 1: emit(f, 0, 0x12, 0); f->stage++; return 1;           /* SYN+ACK */
        case 2: emit(f, 1, 0x10, 0); f->stage++; return 1;           /* ACK */
        case 3: put_client_hello(f); emit(f, 1, 0x18, 512); f->stage++; return 1;
        case 4:
            if (f->remaining-- > 0) {
                int up = rnd() % 3 == 0;
                emit(f, up, 0x18, 100 + rnd() % 1349);
                return 1;
            }
            if (rnd() % 10 == 0) { emit(f, 1, 0x14, 0); return 0; }   /* RST+ACK */
            emit(f, 1, 0x11, 0); f->stage++; return 1;               /* FIN from the client */
        case 5: emit(f, 0, 0x11, 0); f->stage++; return 1;           /* FIN from the server */
        default: emit(f, 1, 0x10, 0); return 0;                     /* last ACK */
        }
    }
}

int main(int argc, char **argv) {
    int uplink = argc > 1 && strcmp(argv[1], "-u") == 0;
    if (uplink) { argv++; argc--; }
    if (argc < 3) { fprintf(stderr, "usage: %s [-u] PACKETS OUT.pcap [SEED [TRAIN]]\n", argv[0]); return 64; }
    target = atol(argv[1]);
    rng_state = argc > 3 ? strtoull(argv[3], 0, 10) : 1;
    if (argc > 4) train = atoi(argv[4]) > 0 ? atoi(argv[4]) : 1;
    out = strcmp(argv[2], "-") == 0 ? stdout : fopen(argv[2], "wb");
    if (!out) { perror(argv[2]); return 66; }
    static char buffer[1 << 20];
    setvbuf(out, buffer, _IOFBF, sizeof buffer);
    uint32_t file_header[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
    fwrite(file_header, 4, 6, out);
    enum { ACTIVE = 240, UPLINK_ACTIVE = 3000 };
    static Flow flows[UPLINK_ACTIVE];
    if (uplink) {
        for (int i = 0; i < UPLINK_ACTIVE; i++) start_uplink(&flows[i]);
        while (written < target) {
            Flow *f = &flows[rnd() % UPLINK_ACTIVE];
            if (!step_uplink(f)) start_uplink(f);
        }
    } else {
        for (int i = 0; i < ACTIVE; i++) start(&flows[i]);
        while (written < target) {
            Flow *f = &flows[rnd() % ACTIVE];
            if (!step(f)) start(f);
        }
    }
    fclose(out);
    fprintf(stderr, "gen_mix: %ld packets -> %s\n", written, argv[2]);
    return 0;
}
