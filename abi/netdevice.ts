// Net device constants (include/uapi/linux/if_arp.h, if_ether.h, if.h; include/linux/netdevice.h).

/** Hardware types (ARPHRD_*), as alloc_netdev takes them and /sys/class/net/NAME/type shows them. */
export const ARPHRD_ETHER = 1;
export const ARPHRD_SLIP = 256;
export const ARPHRD_LOOPBACK = 772;
export const ARPHRD_NONE = 0xfffe;

/** Ethernet (if_ether.h). Protocols are in host byte order across the ABI (Linux keeps them big-endian). */
export const ETH_ALEN = 6;
export const ETH_HLEN = 14;
export const ETH_ZLEN = 60;
export const ETH_DATA_LEN = 1500;
export const ETH_FRAME_LEN = 1514;
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_ALL = 0x0003;

/** Interface flags (if.h). */
export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_POINTOPOINT = 0x10;
export const IFF_RUNNING = 0x40;
export const IFF_NOARP = 0x80;
export const IFF_MULTICAST = 0x1000;
export const IFF_LOWER_UP = 0x10000;

/**
 * Socket ioctls a driver answers through ndo_do_ioctl (include/uapi/linux/sockios.h). The ifreq it gets is the
 * kernel's copy in the driver's memory: the interface name (IFNAMSIZ bytes), then the union, which holds a
 * struct mii_ioctl_data for the MII commands and ifr_data (an address in the caller's memory) for SIOCDEVPRIVATE.
 */
export const IFNAMSIZ = 16;
/** struct ifreq on wasm32: the name and a 16-byte union (pointers and unsigned long are 32 bits). */
export const IFREQ_SIZE = 32;
export const SIOCGMIIPHY = 0x8947;
export const SIOCGMIIREG = 0x8948;
export const SIOCSMIIREG = 0x8949;
export const SIOCDEVPRIVATE = 0x89f0;

/** ndo_start_xmit's answers (netdev_tx_t) and netif_rx's. */
export const NETDEV_TX_OK = 0;
export const NETDEV_TX_BUSY = 0x10;
export const NET_RX_SUCCESS = 0;
export const NET_RX_DROP = 1;

/** The counters a driver adds to with netdev_stats_add (struct net_device_stats); the core counts packets and bytes itself. */
export const NETDEV_STAT_RX_ERRORS = 0;
export const NETDEV_STAT_TX_ERRORS = 1;
export const NETDEV_STAT_RX_DROPPED = 2;
export const NETDEV_STAT_TX_DROPPED = 3;
export const NETDEV_STAT_RX_OVER_ERRORS = 4;
export const NETDEV_STAT_RX_CRC_ERRORS = 5;
export const NETDEV_STAT_RX_FRAME_ERRORS = 6;
export const NETDEV_STAT_RX_FIFO_ERRORS = 7;
export const NETDEV_STAT_TX_ABORTED_ERRORS = 8;
export const NETDEV_STAT_TX_CARRIER_ERRORS = 9;
export const NETDEV_STAT_TX_FIFO_ERRORS = 10;
export const NETDEV_STAT_COLLISIONS = 11;
export const NETDEV_STAT_MULTICAST = 12;
export const NETDEV_STAT_RX_MISSED_ERRORS = 13;
