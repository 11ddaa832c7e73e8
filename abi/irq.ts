// Interrupt handler return values and request_irq flags (include/linux/irqreturn.h, interrupt.h).

export const IRQ_NONE = 0;
export const IRQ_HANDLED = 1;
export const IRQ_WAKE_THREAD = 2;

export const IRQF_TRIGGER_RISING = 0x1;
export const IRQF_TRIGGER_FALLING = 0x2;
export const IRQF_TRIGGER_HIGH = 0x4;
export const IRQF_TRIGGER_LOW = 0x8;
export const IRQF_TRIGGER_MASK = 0xf;
export const IRQF_SHARED = 0x80;
export const IRQF_PROBE_SHARED = 0x100;
export const IRQF_PERCPU = 0x400;
export const IRQF_ONESHOT = 0x2000;
