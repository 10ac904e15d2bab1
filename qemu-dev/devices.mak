# The devices lmnic's emulator is built with (configs/devices/x86_64-softmmu/
# lmnic.mak in QEMU's tree, configured --without-default-devices): the
# machine the testbed and the demo boot, its PCIe root ports for hotplug,
# the lmnic adapter, and the NICs bench/ measures it against.
CONFIG_Q35=y
CONFIG_PCIE_PORT=y
CONFIG_LMNIC=y
CONFIG_E1000E_PCI_EXPRESS=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_NET=y
