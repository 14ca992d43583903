"""Hand-built hostile frames for the security e2e tests (no scapy): run inside a sandbox.

  frames.py ra IFACE PREFIX              router advertisement (default route + SLAAC prefix) to ff02::1
  frames.py garp IFACE IP                gratuitous ARP reply claiming IP (sender MAC: IFACE's own)
  frames.py udp IFACE SRC_MAC SRC_IP DST_MAC DST_IP PORT TEXT    one UDP datagram, any source
  frames.py na IFACE TARGET6             unsolicited neighbour advert (override) claiming TARGET6
  frames.py vlan IFACE DST_MAC           an 802.1Q-tagged frame

Each frame is sent 3 times; exits 0 once sent.
"""
import socket
import struct
import sys


def mac_bytes(m):
    return bytes(int(x, 16) for x in m.split(':'))


def own_mac(iface):
    with open(f'/sys/class/net/{iface}/address') as f:
        return f.read().strip()


def link_local(mac):
    b = bytearray(mac_bytes(mac))
    b[0] ^= 2
    return socket.inet_pton(socket.AF_INET6, 'fe80::')[:8] + bytes(b[:3]) + b'\xff\xfe' + bytes(b[3:])


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack(f'!{len(data) // 2}H', data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def icmp6(src, dst, body):
    pseudo = src + dst + struct.pack('!I3xB', len(body), 58)
    c = csum(pseudo + body)
    body = body[:2] + struct.pack('!H', c) + body[4:]
    return struct.pack('!IHBB', 6 << 28, len(body), 58, 255) + src + dst + body


def send(iface, frame):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for _ in range(3):
        s.send(frame)
    s.close()


def ra(iface, prefix):
    mac = own_mac(iface)
    src = link_local(mac)
    dst = socket.inet_pton(socket.AF_INET6, 'ff02::1')
    body = struct.pack('!BBHBBHII', 134, 0, 0, 64, 0, 1800, 0, 0)
    body += struct.pack('!BB', 1, 1) + mac_bytes(mac)
    body += struct.pack('!BBBBIII', 3, 4, 64, 0xc0, 86400, 14400, 0) + socket.inet_pton(socket.AF_INET6, prefix)
    send(iface, mac_bytes('33:33:00:00:00:01') + mac_bytes(mac) + b'\x86\xdd' + icmp6(src, dst, body))


def garp(iface, ip):
    mac = mac_bytes(own_mac(iface))
    a = socket.inet_aton(ip)
    arp = struct.pack('!HHBBH', 1, 0x0800, 6, 4, 2) + mac + a + b'\xff' * 6 + a
    send(iface, b'\xff' * 6 + mac + b'\x08\x06' + arp)


def udp(iface, smac, sip, dmac, dip, port, text):
    payload = text.encode()
    u = struct.pack('!HHHH', 40000, int(port), 8 + len(payload), 0) + payload
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(u), 1, 0, 64, 17, 0, socket.inet_aton(sip), socket.inet_aton(dip))
    hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
    send(iface, mac_bytes(dmac) + mac_bytes(smac) + b'\x08\x00' + hdr + u)


def na(iface, target):
    mac = own_mac(iface)
    src = link_local(mac)
    dst = socket.inet_pton(socket.AF_INET6, 'ff02::1')
    body = struct.pack('!BBHI', 136, 0, 0, 0x20000000) + socket.inet_pton(socket.AF_INET6, target)
    body += struct.pack('!BB', 2, 1) + mac_bytes(mac)
    send(iface, mac_bytes('33:33:00:00:00:01') + mac_bytes(mac) + b'\x86\xdd' + icmp6(src, dst, body))


def vlan(iface, dmac):
    mac = mac_bytes(own_mac(iface))
    send(iface, mac_bytes(dmac) + mac + b'\x81\x00' + struct.pack('!H', 7) + b'\x08\x06' + b'\0' * 46)


if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    {'ra': ra, 'garp': garp, 'udp': udp, 'na': na, 'vlan': vlan}[cmd](*args)
