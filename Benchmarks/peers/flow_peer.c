/* The C peers of Benchmarks/bench-peers.sh: plain C doing the work of `streamprobe flows` and of
 * `streamprobe features --set reference-v1 --scope reference`, as a yardstick in the same run.
 *
 * Built twice from this file:
 *   cc -O2 -o c_flows flow_peer.c -lpcap -lm                  peer of `flows`
 *   cc -O2 -DFEATURES -o c_features flow_peer.c -lpcap -lm    the same plus the reference-v1 windows
 *
 * c_flows: reads the capture with libpcap (pcap_next_ex through a page-aligned 256 KiB buffer, as
 * streamprobe's FileSource does), decodes Ethernet (up to two VLAN tags), IPv4, IPv6 (extension
 * headers walked; later fragments have no ports), TCP and UDP, and keeps a bidirectional flow table
 * with the semantics of streamprobe's FlowTable (Sources/Flows): the canonical 5-tuple (lower
 * address and port first), packets, frame bytes and payload bytes each way, first and last time, TCP
 * flags; a flow ends after 300 s without a packet, 30 s after FIN both ways or a RST (a new SYN on a
 * closed flow starts a new one at once), idle flows are looked for every 5 s of capture time, the rest
 * end at the end of the capture in creation order. The client is the SYN's sender (or the SYN+ACK's
 * receiver), else the side with the ephemeral port, else the first sender. Open addressing (linear
 * probing, backward-shift deletion, load <= 1/2) over an array of records with a free list; the previous
 * packet's flow is tried first. Each flow is written as a CSV line when it ends; a summary goes to
 * standard error. No service names: TLS SNI and DNS answers are not read (streamprobe does read them).
 *
 * c_features adds the reference analyzer's 37 features (docs/features.md, reference-v1) over 3 s
 * tumbling windows of the reference scope (IPv4 frames longer than 60 captured bytes, all mixed):
 * complete windows only, >= 15 packets, zero-duration windows skipped, burst gap 0.03 s. Sizes are
 * sorted by counting, IATs by an LSD radix sort of their bit patterns; percentiles interpolate as
 * numpy's. Each computed window is written as a CSV line (index, packets, the 37 values).
 *
 * Usage: c_flows CAPTURE   (- reads standard input) */
#include <arpa/inet.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- Flow table ---------- */

typedef struct {
    uint64_t hi, lo; /* an IPv6 address, or ::ffff:a.b.c.d for IPv4 */
} Address;

typedef struct {
    uint64_t packets, bytes, payload;
} Counters;

enum { BASIS_SYN, BASIS_SYNACK, BASIS_PORTS, BASIS_FIRST };
enum { END_FIN, END_RST, END_IDLE, END_EOF };
static const char *const end_names[] = {"fin", "rst", "idle", "eof"};

typedef struct {
    uint64_t hash;
    Address low, high;
    uint16_t low_port, high_port;
    uint8_t proto, client_is_low, basis, live;
    uint8_t fin_low, fin_high, rst;
    uint16_t flags;
    double first, last;
    Counters from_low, from_high;
    uint64_t id;
} Flow;

static Flow *flows;
static size_t flow_count, flow_capacity;
static int32_t *slots;
static size_t mask;
static int32_t *free_list;
static size_t free_count, free_capacity;
static size_t live;
static uint64_t created;
static long recent = -1;
static double now = -INFINITY, next_scan = -INFINITY;
static uint64_t ended[4];
static const double idle_timeout = 300, closed_timeout = 30, scan_interval = 5;

static FILE *out;
static char out_buffer[1 << 16];

static uint64_t mix(uint64_t h, uint64_t v) {
    uint64_t x = (h ^ v) * 0x9E3779B97F4A7C15ULL;
    return x ^ (x >> 29);
}

static uint64_t key_hash(const Flow *k) {
    uint64_t h = 0x2545F4914F6CDD1DULL;
    h = mix(h, k->low.hi);
    h = mix(h, k->low.lo);
    h = mix(h, k->high.hi);
    h = mix(h, k->high.lo);
    h = mix(h, (uint64_t)k->low_port << 24 | (uint64_t)k->high_port << 8 | k->proto);
    h ^= h >> 32;
    return h * 0xBF58476D1CE4E5B9ULL;
}

static int same_key(const Flow *a, const Flow *b) {
    return a->low.hi == b->low.hi && a->low.lo == b->low.lo && a->high.hi == b->high.hi && a->high.lo == b->high.lo &&
           a->low_port == b->low_port && a->high_port == b->high_port && a->proto == b->proto;
}

static int is_closed(const Flow *f) { return f->rst || (f->fin_low && f->fin_high); }

/* The slot holding `key`, or the empty slot where it would go; *found gets the flow index or -1. */
static size_t find(const Flow *key, uint64_t hash, long *found) {
    size_t i = hash & mask;
    for (;;) {
        int32_t s = slots[i];
        if (s < 0) { *found = -1; return i; }
        if (flows[s].hash == hash && same_key(&flows[s], key)) { *found = s; return i; }
        i = (i + 1) & mask;
    }
}

static void grow(void) {
    size_t capacity = (mask + 1) * 2;
    free(slots);
    slots = malloc(capacity * sizeof *slots);
    memset(slots, 0xFF, capacity * sizeof *slots);
    mask = capacity - 1;
    for (size_t r = 0; r < flow_count; r++) {
        if (!flows[r].live) continue;
        size_t i = flows[r].hash & mask;
        while (slots[i] >= 0) i = (i + 1) & mask;
        slots[i] = (int32_t)r;
    }
}

static void unlink_flow(long index) {
    size_t i = flows[index].hash & mask;
    while (slots[i] != index) i = (i + 1) & mask;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        int32_t s = slots[j];
        if (s < 0) break;
        size_t ideal = flows[s].hash & mask;
        int stays = i <= j ? (ideal > i && ideal <= j) : (ideal > i || ideal <= j);
        if (!stays) { slots[i] = s; i = j; }
    }
    slots[i] = -1;
}

static void put_address(const Address *a, char *text) {
    if (a->hi == 0 && (a->lo >> 32) == 0xFFFF) {
        uint32_t v4 = htonl((uint32_t)a->lo);
        inet_ntop(AF_INET, &v4, text, 64);
    } else {
        unsigned char b[16];
        for (int k = 0; k < 8; k++) { b[k] = a->hi >> (56 - 8 * k); b[8 + k] = a->lo >> (56 - 8 * k); }
        inet_ntop(AF_INET6, b, text, 64);
    }
}

static void end_flow(long index, int reason) {
    Flow *f = &flows[index];
    unlink_flow(index);
    if (recent == index) recent = -1;
    f->live = 0;
    live--;
    ended[reason]++;
    if (free_count == free_capacity) {
        free_capacity = free_capacity ? free_capacity * 2 : 1024;
        free_list = realloc(free_list, free_capacity * sizeof *free_list);
    }
    free_list[free_count++] = (int32_t)index;
    char client[64], server[64];
    const Address *c = f->client_is_low ? &f->low : &f->high, *s = f->client_is_low ? &f->high : &f->low;
    const Counters *up = f->client_is_low ? &f->from_low : &f->from_high, *down = f->client_is_low ? &f->from_high : &f->from_low;
    put_address(c, client);
    put_address(s, server);
    fprintf(out, "%s,%u,%s,%u,%u,%llu,%llu,%llu,%llu,%.6f,%.6f,%s\n", client,
            f->client_is_low ? f->low_port : f->high_port, server, f->client_is_low ? f->high_port : f->low_port,
            f->proto, (unsigned long long)up->packets, (unsigned long long)up->bytes, (unsigned long long)down->packets,
            (unsigned long long)down->bytes, f->first, f->last - f->first, end_names[reason]);
}

static int expiry_reason(const Flow *f) { return is_closed(f) ? (f->rst ? END_RST : END_FIN) : END_IDLE; }

static void expire_idle(void) {
    for (size_t r = 0; r < flow_count; r++) {
        Flow *f = &flows[r];
        if (f->live && now - f->last > (is_closed(f) ? closed_timeout : idle_timeout)) end_flow((long)r, expiry_reason(f));
    }
}

static int by_id(const void *a, const void *b) {
    uint64_t x = flows[*(const int32_t *)a].id, y = flows[*(const int32_t *)b].id;
    return x < y ? -1 : x > y;
}

static void finish_flows(void) {
    int32_t *order = malloc((live + 1) * sizeof *order);
    size_t n = 0;
    for (size_t r = 0; r < flow_count; r++) if (flows[r].live) order[n++] = (int32_t)r;
    qsort(order, n, sizeof *order, by_id);
    for (size_t k = 0; k < n; k++) {
        Flow *f = &flows[order[k]];
        end_flow(order[k], is_closed(f) ? (f->rst ? END_RST : END_FIN) : END_EOF);
    }
    free(order);
}

/* What the decoder hands to the flow table. */
typedef struct {
    Address src, dst;
    uint16_t sport, dport, flags;
    uint8_t proto, is_ipv4;
    int payload;
} Packet;

static long create(const Flow *key, uint64_t hash, size_t slot, int from_low, const Packet *p, double t) {
    if ((live + 1) * 2 > mask + 1) {
        long ignored;
        grow();
        slot = find(key, hash, &ignored);
    }
    long index;
    if (free_count > 0) {
        index = free_list[--free_count];
    } else {
        if (flow_count == flow_capacity) {
            flow_capacity = flow_capacity ? flow_capacity * 2 : 1024;
            flows = realloc(flows, flow_capacity * sizeof *flows);
        }
        index = (long)flow_count++;
    }
    Flow *f = &flows[index];
    *f = *key;
    f->hash = hash;
    f->live = 1;
    f->first = f->last = t;
    f->id = ++created;
    if (p->proto == 6 && (p->flags & 0x02)) {
        int ack = (p->flags & 0x10) != 0;
        f->client_is_low = ack ? !from_low : from_low;
        f->basis = ack ? BASIS_SYNACK : BASIS_SYN;
    } else {
        uint16_t lower = p->sport < p->dport ? p->sport : p->dport, higher = p->sport < p->dport ? p->dport : p->sport;
        if (lower != higher && ((lower < 1024 && higher >= 1024) || (lower < 49152 && higher >= 49152))) {
            f->client_is_low = (p->sport == higher) == from_low;
            f->basis = BASIS_PORTS;
        } else {
            f->client_is_low = from_low;
            f->basis = BASIS_FIRST;
        }
    }
    slots[slot] = (int32_t)index;
    live++;
    return index;
}

static int address_less(const Address *a, const Address *b) { return a->hi != b->hi ? a->hi < b->hi : a->lo < b->lo; }

static void track(const Packet *p, double t, int frame_length) {
    if (t > now) {
        now = t;
        if (now >= next_scan) {
            if (next_scan != -INFINITY) expire_idle();
            next_scan = now + scan_interval;
        }
    }
    Flow key;
    int from_low;
    if (p->src.hi != p->dst.hi || p->src.lo != p->dst.lo) from_low = address_less(&p->src, &p->dst);
    else from_low = p->sport <= p->dport;
    key.low = from_low ? p->src : p->dst;
    key.high = from_low ? p->dst : p->src;
    key.low_port = from_low ? p->sport : p->dport;
    key.high_port = from_low ? p->dport : p->sport;
    key.proto = p->proto;
    long index;
    uint64_t hash;
    size_t slot = 0;
    if (recent >= 0 && same_key(&flows[recent], &key)) {
        index = recent;
        hash = flows[recent].hash;
    } else {
        hash = key_hash(&key);
        slot = find(&key, hash, &index);
    }
    int is_tcp = p->proto == 6, syn = is_tcp && (p->flags & 0x02), ack = (p->flags & 0x10) != 0;
    if (index >= 0) {
        Flow *f = &flows[index];
        int closed = is_closed(f);
        if (t - f->last > (closed ? closed_timeout : idle_timeout) || (closed && syn && !ack)) {
            end_flow(index, expiry_reason(f));
            slot = find(&key, hash, &index);
        }
    }
    int is_new = index < 0;
    if (is_new) index = create(&key, hash, slot, from_low, p, t);
    recent = index;
    Flow *f = &flows[index];
    if (t > f->last) f->last = t;
    Counters *c = from_low ? &f->from_low : &f->from_high;
    c->packets++;
    c->bytes += (uint64_t)frame_length;
    c->payload += (uint64_t)p->payload;
    if (is_tcp && p->flags) {
        f->flags |= p->flags;
        if (p->flags & 0x01) { if (from_low) f->fin_low = 1; else f->fin_high = 1; }
        if (p->flags & 0x04) f->rst = 1;
    }
    if (syn && !is_new) {
        if (!ack && f->basis != BASIS_SYN) { f->client_is_low = from_low; f->basis = BASIS_SYN; }
        else if (ack && (f->basis == BASIS_PORTS || f->basis == BASIS_FIRST)) { f->client_is_low = !from_low; f->basis = BASIS_SYNACK; }
    }
}

/* ---------- Decoding ---------- */

static uint16_t be16(const unsigned char *b) { return (uint16_t)(b[0] << 8 | b[1]); }
static uint64_t be64(const unsigned char *b) {
    uint64_t v = 0;
    for (int k = 0; k < 8; k++) v = v << 8 | b[k];
    return v;
}

/* Fills `p` from an Ethernet frame; returns 1 when the packet has TCP or UDP ports. */
static int decode(const unsigned char *b, int n, Packet *p) {
    p->is_ipv4 = 0;
    if (n < 14) return 0;
    int offset = 14;
    uint16_t type = be16(b + 12);
    for (int tags = 0; (type == 0x8100 || type == 0x88A8 || type == 0x9100) && tags < 2; tags++) {
        if (n < offset + 4) return 0;
        type = be16(b + offset + 2);
        offset += 4;
    }
    int end, proto, start;
    if (type == 0x0800) {
        const unsigned char *ip = b + offset;
        if (n - offset < 20 || ip[0] >> 4 != 4) return 0;
        int ihl = (ip[0] & 15) * 4, total = be16(ip + 2);
        if (ihl < 20 || n - offset < ihl || (total != 0 && total < ihl)) return 0;
        p->is_ipv4 = 1;
        if (total == 0) total = n - offset;
        end = offset + total;
        if (be16(ip + 6) & 0x1FFF) return 0; /* a later fragment */
        proto = ip[9];
        uint32_t s, d;
        memcpy(&s, ip + 12, 4);
        memcpy(&d, ip + 16, 4);
        p->src.hi = p->dst.hi = 0;
        p->src.lo = 0xFFFF00000000ULL | ntohl(s);
        p->dst.lo = 0xFFFF00000000ULL | ntohl(d);
        start = offset + ihl;
    } else if (type == 0x86DD) {
        const unsigned char *ip = b + offset;
        if (n - offset < 40 || ip[0] >> 4 != 6) return 0;
        int declared = be16(ip + 4);
        end = declared == 0 ? n : offset + 40 + declared;
        proto = ip[6];
        p->src.hi = be64(ip + 8);
        p->src.lo = be64(ip + 16);
        p->dst.hi = be64(ip + 24);
        p->dst.lo = be64(ip + 32);
        start = offset + 40;
        int limit = end < n ? end : n;
        for (int walked = 0; (proto == 0 || proto == 43 || proto == 44 || proto == 51 || proto == 60) && walked < 16; walked++) {
            if (limit - start < 8) return 0;
            int length = proto == 44 ? 8 : proto == 51 ? (b[start + 1] + 2) * 4 : (b[start + 1] + 1) * 8;
            if (limit - start < length) return 0;
            if (proto == 44 && (be16(b + start + 2) & 0xFFF8)) return 0; /* a later fragment */
            proto = b[start];
            start += length;
        }
    } else {
        return 0;
    }
    int limit = end < n ? end : n;
    p->proto = (uint8_t)proto;
    if (proto == 6) {
        if (limit - start < 20) return 0;
        const unsigned char *th = b + start;
        int header = (th[12] >> 4) * 4;
        if (header < 20) return 0;
        p->sport = be16(th);
        p->dport = be16(th + 2);
        p->flags = be16(th + 12) & 0x1FF;
        p->payload = end - start - header > 0 ? end - start - header : 0;
        return 1;
    }
    if (proto == 17) {
        if (limit - start < 8) return 0;
        const unsigned char *uh = b + start;
        int declared = be16(uh + 4);
        p->sport = be16(uh);
        p->dport = be16(uh + 2);
        p->flags = 0;
        p->payload = declared >= 8 && declared <= end - start ? declared - 8 : (end - start - 8 > 0 ? end - start - 8 : 0);
        return 1;
    }
    return 0;
}

#ifdef FEATURES
/* ---------- reference-v1 windows ---------- */

typedef struct {
    double time;
    int size;
} Sample;

static Sample *samples;
static size_t sample_head, sample_count, sample_capacity;
static double next_start, last_time;
static int started;
static long window_index, windows_computed;
static const double window_seconds = 3.0, burst_gap = 0.03;
static const int min_packets = 15;

static double *sizes, *sorted_sizes, *iats, *sorted_iats, *runs;
static uint64_t *keys, *keys_scratch;
static size_t scratch_capacity;
static uint32_t size_counts[65536];

static double percentile(const double *v, size_t n, double q) {
    if (n == 1) return v[0];
    double position = q / 100 * (double)(n - 1);
    size_t lower = (size_t)floor(position);
    if (lower > n - 1) lower = n - 1;
    size_t upper = lower + 1 < n ? lower + 1 : n - 1;
    double fraction = position - (double)lower, a = v[lower], b = v[upper], d = b - a;
    return fraction >= 0.5 ? b - d * (1 - fraction) : a + d * fraction;
}

static void mean_std(const double *v, size_t n, double *mean, double *std) {
    if (n == 0) { *mean = *std = 0; return; }
    double sum = 0, squares = 0;
    for (size_t i = 0; i < n; i++) sum += v[i];
    *mean = sum / (double)n;
    for (size_t i = 0; i < n; i++) { double d = v[i] - *mean; squares += d * d; }
    *std = sqrt(squares / (double)n);
}

/* Non-negative doubles sort as their bit patterns: LSD radix, 8 bits a pass, passes with one bucket skipped. */
static void radix_sort(const double *in, double *out, size_t n) {
    uint64_t *a = keys, *b = keys_scratch;
    for (size_t i = 0; i < n; i++) memcpy(&a[i], &in[i], 8);
    for (int shift = 0; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++) count[((a[i] >> shift) & 255) + 1]++;
        if (count[((a[0] >> shift) & 255) + 1] == n) continue;
        for (int k = 0; k < 256; k++) count[k + 1] += count[k];
        for (size_t i = 0; i < n; i++) b[count[(a[i] >> shift) & 255]++] = a[i];
        uint64_t *t = a; a = b; b = t;
    }
    for (size_t i = 0; i < n; i++) memcpy(&out[i], &a[i], 8);
}

static void compute_window(size_t from, size_t to) {
    size_t n = to - from;
    if (n > scratch_capacity) {
        scratch_capacity = n * 2;
        sizes = realloc(sizes, scratch_capacity * sizeof *sizes);
        sorted_sizes = realloc(sorted_sizes, scratch_capacity * sizeof *sorted_sizes);
        iats = realloc(iats, scratch_capacity * sizeof *iats);
        sorted_iats = realloc(sorted_iats, scratch_capacity * sizeof *sorted_iats);
        runs = realloc(runs, scratch_capacity * sizeof *runs);
        keys = realloc(keys, scratch_capacity * sizeof *keys);
        keys_scratch = realloc(keys_scratch, scratch_capacity * sizeof *keys_scratch);
    }
    long total_bytes = 0, large = 0, small = 0, medium = 0;
    int smallest = 65535, largest = 0;
    size_t iat_count = 0, run_count = 0;
    double previous = samples[from].time;
    for (size_t i = from; i < to; i++) {
        int s = samples[i].size;
        total_bytes += s;
        sizes[i - from] = s;
        size_counts[s]++;
        if (s < smallest) smallest = s;
        if (s > largest) largest = s;
        if (s > 1000) large++; else if (s < 100) small++; else medium++;
        if (i != from) { iats[iat_count++] = samples[i].time - previous; previous = samples[i].time; }
    }
    size_t k = 0;
    for (int s = smallest; s <= largest; s++) {
        for (uint32_t c = size_counts[s]; c > 0; c--) sorted_sizes[k++] = s;
        size_counts[s] = 0;
    }
    double dn = (double)n, total = (double)total_bytes;
    double duration = samples[to - 1].time - samples[from].time;
    double mean_size, std_size;
    mean_std(sizes, n, &mean_size, &std_size);
    double p25 = percentile(sorted_sizes, n, 25), p75 = percentile(sorted_sizes, n, 75);
    double min_size = sorted_sizes[0], max_size = sorted_sizes[n - 1];
    double mean_iat = 0, std_iat = 0, min_iat = 0, max_iat = 0, p10_iat = 0, p50_iat = 0, p90_iat = 0, sum_iat = 0;
    if (iat_count > 0) {
        mean_std(iats, iat_count, &mean_iat, &std_iat);
        for (size_t i = 0; i < iat_count; i++) sum_iat += iats[i];
        radix_sort(iats, sorted_iats, iat_count);
        min_iat = sorted_iats[0];
        max_iat = sorted_iats[iat_count - 1];
        p10_iat = percentile(sorted_iats, iat_count, 10);
        p50_iat = percentile(sorted_iats, iat_count, 50);
        p90_iat = percentile(sorted_iats, iat_count, 90);
    }
    int current = 0;
    for (size_t i = 0; i < iat_count; i++) {
        if (iats[i] < burst_gap) current++;
        else { if (current > 0) runs[run_count++] = current; current = 0; }
    }
    if (current > 0) runs[run_count++] = current;
    double mean_run, std_run, max_run = 0;
    mean_std(runs, run_count, &mean_run, &std_run);
    for (size_t i = 0; i < run_count; i++) if (runs[i] > max_run) max_run = runs[i];
    /* Skewness and kurtosis as pandas (bias-corrected G1, G2); 0 for constant sizes. */
    double m2 = 0, m3 = 0, m4 = 0;
    for (size_t i = 0; i < n; i++) { double d = sizes[i] - mean_size, d2 = d * d; m2 += d2; m3 += d2 * d; m4 += d2 * d2; }
    double skew = n > 2 && m2 > 0 ? (dn * sqrt(dn - 1) / (dn - 2)) * (m3 / pow(m2, 1.5)) : 0;
    double kurt = n > 3 && m2 > 0
        ? dn * (dn + 1) * (dn - 1) * m4 / ((dn - 2) * (dn - 3) * m2 * m2) - 3 * (dn - 1) * (dn - 1) / ((dn - 2) * (dn - 3)) : 0;
    double entropy = 0;
    for (size_t i = 0; i < n;) {
        int bin = sorted_sizes[i] > 1500 ? 1500 : (int)sorted_sizes[i];
        size_t j = i + 1;
        while (j < n && (sorted_sizes[j] > 1500 ? 1500 : (int)sorted_sizes[j]) == bin) j++;
        double p = (double)(j - i) / dn;
        entropy -= p * log2(p + 1e-10);
        i = j;
    }
    double v[37] = {
        duration > 0 ? total / duration : 0, duration > 0 ? dn / duration : 0, total, mean_size, std_size,
        min_size, max_size, percentile(sorted_sizes, n, 10), p25, percentile(sorted_sizes, n, 50),
        p75, percentile(sorted_sizes, n, 90), percentile(sorted_sizes, n, 95), large / dn, small / dn,
        medium / dn, max_size - min_size, p75 - p25, skew, kurt,
        mean_iat, std_iat, min_iat, max_iat, p10_iat,
        p50_iat, p90_iat, mean_iat > 0 ? std_iat / mean_iat : 0, max_iat - min_iat, (double)run_count,
        mean_run, max_run, run_count > 1 ? std_run : 0,
        total_bytes > 0 && run_count > 0 ? mean_run * (double)run_count * mean_size / total : 0, entropy,
        total / dn, total_bytes > 0 && iat_count > 0 ? sum_iat / total : 0,
    };
    fprintf(out, "window,%ld,%zu", window_index, n);
    for (int i = 0; i < 37; i++) fprintf(out, ",%.17g", v[i]);
    fputc('\n', out);
    windows_computed++;
}

static void emit_window(void) {
    double end = next_start + window_seconds;
    size_t upper = sample_head;
    while (upper < sample_count && samples[upper].time < end) upper++;
    size_t count = upper - sample_head;
    if (count >= (size_t)min_packets && samples[upper - 1].time - samples[sample_head].time > 0) compute_window(sample_head, upper);
}

static void advance_window(void) {
    next_start += window_seconds;
    window_index++;
    while (sample_head < sample_count && samples[sample_head].time < next_start) sample_head++;
    if (sample_head == sample_count) sample_head = sample_count = 0;
    else if (sample_head > 4096 && sample_head * 2 > sample_count) {
        memmove(samples, samples + sample_head, (sample_count - sample_head) * sizeof *samples);
        sample_count -= sample_head;
        sample_head = 0;
    }
}

static void add_sample(double t, int size) {
    if (!started) { started = 1; next_start = last_time = t; }
    if (t < last_time) t = last_time;
    while (next_start + window_seconds <= t) { emit_window(); advance_window(); }
    last_time = t;
    if (sample_count == sample_capacity) {
        sample_capacity = sample_capacity ? sample_capacity * 2 : 4096;
        samples = realloc(samples, sample_capacity * sizeof *samples);
    }
    samples[sample_count].time = t;
    samples[sample_count].size = size > 65535 ? 65535 : size;
    sample_count++;
}
#endif

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s CAPTURE\n", argv[0]); return 64; }
    char err[PCAP_ERRBUF_SIZE];
    FILE *file = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "rb");
    if (!file) { perror(argv[1]); return 66; }
    void *buffer = NULL;
    if (posix_memalign(&buffer, 4096, 256 * 1024) == 0) setvbuf(file, buffer, _IOFBF, 256 * 1024);
    pcap_t *pcap = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!pcap) { fprintf(stderr, "%s: %s\n", argv[0], err); return 66; }
    if (pcap_datalink(pcap) != DLT_EN10MB) { fprintf(stderr, "%s: only Ethernet captures\n", argv[0]); return 66; }
    out = stdout;
    setvbuf(out, out_buffer, _IOFBF, sizeof out_buffer);
    mask = 1023;
    slots = malloc((mask + 1) * sizeof *slots);
    memset(slots, 0xFF, (mask + 1) * sizeof *slots);
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t packets = 0;
    Packet p;
    int rc;
    while ((rc = pcap_next_ex(pcap, &h, &data)) == 1) {
        packets++;
        double t = (double)h->ts.tv_sec + (double)h->ts.tv_usec * 1e-9; /* nanoseconds: opened with nano precision */
        int has_ports = decode(data, (int)h->caplen, &p);
        if (has_ports) track(&p, t, (int)h->len);
#ifdef FEATURES
        if (p.is_ipv4 && h->caplen > 60) add_sample(t, (int)h->caplen);
#endif
    }
    if (rc != PCAP_ERROR_BREAK) fprintf(stderr, "%s: %s\n", argv[0], pcap_geterr(pcap));
    finish_flows();
    fflush(out);
    fprintf(stderr, "%llu packets, %llu flows (fin %llu, rst %llu, idle %llu, eof %llu)", (unsigned long long)packets,
            (unsigned long long)created, (unsigned long long)ended[END_FIN], (unsigned long long)ended[END_RST],
            (unsigned long long)ended[END_IDLE], (unsigned long long)ended[END_EOF]);
#ifdef FEATURES
    fprintf(stderr, ", %ld windows computed", windows_computed);
#endif
    fputc('\n', stderr);
    pcap_close(pcap);
    return 0;
}
