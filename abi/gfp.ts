// GFP allocation flags with the bit values of Linux 6.1 (include/linux/gfp_types.h).

export const GFP = {
  __GFP_DMA: 0x01,
  __GFP_HIGHMEM: 0x02,
  __GFP_DMA32: 0x04,
  __GFP_MOVABLE: 0x08,
  __GFP_RECLAIMABLE: 0x10,
  __GFP_HIGH: 0x20,
  __GFP_IO: 0x40,
  __GFP_FS: 0x80,
  __GFP_ZERO: 0x100,
  __GFP_ATOMIC: 0x200,
  __GFP_DIRECT_RECLAIM: 0x400,
  __GFP_KSWAPD_RECLAIM: 0x800,
  __GFP_NOWARN: 0x2000,
  __GFP_RETRY_MAYFAIL: 0x4000,
  __GFP_NOFAIL: 0x8000,
  __GFP_NORETRY: 0x10000,
  __GFP_ACCOUNT: 0x400000,
  /** __GFP_HIGH | __GFP_ATOMIC | __GFP_KSWAPD_RECLAIM */
  GFP_ATOMIC: 0xa20,
  /** __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM | __GFP_IO | __GFP_FS */
  GFP_KERNEL: 0xcc0,
  /** __GFP_KSWAPD_RECLAIM */
  GFP_NOWAIT: 0x800,
  /** GFP_KERNEL without __GFP_IO and __GFP_FS */
  GFP_NOIO: 0xc00,
  /** GFP_KERNEL without __GFP_FS */
  GFP_NOFS: 0xc40,
} as const;
