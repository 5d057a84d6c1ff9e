'use client';
import { createContext } from 'react';
import type { SseDriver } from '../core/SseDriver.js';

/** The nearest provider's driver; `null` outside any {@link SseProvider}. */
export const SseContext = createContext<SseDriver | null>(null);
SseContext.displayName = 'SseContext';
