// The v6.4 headers; v6.3 has the same register facts for everything this project models.
export * from './sysreg-defs.js';
export * from './sysreg.js';
export * from './esr.js';
export * from './kvm_arm.js';
