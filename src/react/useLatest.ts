'use client';
import { useInsertionEffect, useRef } from 'react';

/**
 * A ref holding the latest committed `value`, for callbacks read at event time: a new function
 * each render neither resubscribes nor goes stale.
 */
export function useLatest<T>(value: T): { readonly current: T } {
  const ref = useRef(value);
  useInsertionEffect(() => {
    ref.current = value;
  });
  return ref;
}
