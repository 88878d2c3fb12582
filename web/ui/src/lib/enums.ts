import type { TFunction } from 'i18next'

// stateLabel translates an Xray state the server sends as an enum
// ("running", "stop", "error"); an unknown value is shown as sent.
export function stateLabel(t: TFunction, state: string): string {
  return state ? t(`enums.state.${state}`, { defaultValue: state }) : ''
}
