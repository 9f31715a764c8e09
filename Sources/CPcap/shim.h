#ifndef STREAMPROBE_CPCAP_SHIM_H
#define STREAMPROBE_CPCAP_SHIM_H

#include <pcap/pcap.h>
#include <poll.h>
#include <errno.h>

#endif
