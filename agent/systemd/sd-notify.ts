import { loadNativeAddon } from '../util/native-addon.js';

interface SdNotifyAddon {
  notify(socketPath: string, message: string): void;
}

let addon: SdNotifyAddon | undefined | null = null;

/** Loads native/sd-notify once; undefined when it was not built (`npm run build:native`). */
export function loadSdNotify(): SdNotifyAddon | undefined {
  if (addon === null) addon = loadNativeAddon<SdNotifyAddon>('sd-notify', 'sd_notify.node');
  return addon;
}
