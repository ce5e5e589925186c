import Bowser from 'bowser';

/** "Firefox 128 on macOS" from a User-Agent header, for the list of active sessions. */
export function describeUserAgent(userAgent: string | undefined): string {
  if (!userAgent) return 'Unknown device';
  const { browser, os } = Bowser.parse(userAgent);
  const name = [browser.name, browser.version?.split('.')[0]].filter(Boolean).join(' ');
  return [name || 'Unknown browser', os.name].filter(Boolean).join(' on ');
}
