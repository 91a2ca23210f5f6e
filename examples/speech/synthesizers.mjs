// The speech synthesizers behind the digit corpus (make-corpus.mjs), each a Debian package:
//   espeak-ng  formant synthesis; voice "ACCENT+VARIANT" (e.g. en-gb-scotland+f3)
//   festival   Festival's English voices: diphone (kal_diphone, ked_diphone: recorded diphones)
//              and HTS (cmu_us_slt_arctic_hts: statistical, from a person's recordings);
//              voice "festival/NAME"
//   flite      CMU Flite (kal, kal16: diphones; awb, rms, slt: clustergen voices built from
//              recordings of people); voice "flite/NAME"
// Each synthesizer says (text, rate in words per minute 130–200, pitch 30–70) as a WAV:
// espeak-ng takes both directly; Festival and Flite stretch durations by 165/rate and set the
// mean F0 of their intonation model (pitch + 80 Hz for male voices, pitch + 140 Hz for female;
// Festival's HTS voice keeps its own pitch). A missing synthesizer is reported with the Debian
// package(s) that provide it.
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const run = (cmd, args, opts = {}) =>
  new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { encoding: 'buffer', maxBuffer: 64 << 20, ...opts }, (err, stdout, stderr) => {
      if (err) {
        err.stderr = stderr?.toString();
        reject(err);
      } else resolve(stdout);
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
  });

/** Festival's English voices in Debian: voice name → package. */
export const FESTIVAL_VOICES = {
  kal_diphone: 'festvox-kallpc16k',
  ked_diphone: 'festvox-kdlpc16k',
  cmu_us_slt_arctic_hts: 'festvox-us-slt-hts',
  rab_diphone: 'festvox-rablpc16k',
  don_diphone: 'festvox-don',
};
const FESTIVAL_FEMALE = new Set(['cmu_us_slt_arctic_hts']);
const FESTIVAL_OWN_PITCH = new Set(['cmu_us_slt_arctic_hts']);
/** Flite's voices for the corpus (awb_time speaks only the time). */
export const FLITE_VOICES = ['kal', 'kal16', 'awb', 'rms', 'slt'];
const FLITE_FEMALE = new Set(['slt']);

/** What each synthesizer is, and the Debian packages that install it. */
export const SYNTHESIZERS = {
  'espeak-ng': { program: 'espeak-ng', packages: ['espeak-ng'] },
  festival: { program: 'text2wave', packages: ['festival', 'festvox-kallpc16k', 'festvox-kdlpc16k', 'festvox-us-slt-hts'] },
  flite: { program: 'flite', packages: ['flite'] },
};

/** The synthesizer of a corpus voice name. */
export const synthOf = (voice) => (voice.startsWith('festival/') ? 'festival' : voice.startsWith('flite/') ? 'flite' : 'espeak-ng');

/** A clear message for a synthesizer that is not installed. */
export const missingMessage = (synth, program = SYNTHESIZERS[synth].program) =>
  `${synth} is not installed (no '${program}' on PATH): install it with  sudo apt-get install -y ${SYNTHESIZERS[synth].packages.join(' ')}`;

/** The espeak-ng version line; a clear error when the program is missing. */
export async function espeakVersion(espeak = 'espeak-ng') {
  try {
    return (await run(espeak, ['--version'])).toString().trim();
  } catch (e) {
    if (e.code === 'ENOENT') throw new Error(missingMessage('espeak-ng', espeak));
    throw new Error(`'${espeak} --version' failed: ${e.message}`);
  }
}

/** Festival's English voices on this machine ([] with a reason when Festival is missing). */
export async function festivalVoices(festival = 'festival') {
  let out;
  try {
    out = (await run(festival, ['--pipe'], { input: '(print (voice.list))\n' })).toString();
  } catch (e) {
    return { voices: [], missing: e.code === 'ENOENT' ? missingMessage('festival', festival) : `festival failed to list its voices: ${e.stderr || e.message}` };
  }
  const names = (out.match(/\(([^()]*)\)/)?.[1] ?? '').split(/\s+/).filter(Boolean);
  const voices = Object.keys(FESTIVAL_VOICES).filter((v) => names.includes(v));
  const absent = Object.entries(FESTIVAL_VOICES)
    .filter(([v, pkg]) => !names.includes(v) && SYNTHESIZERS.festival.packages.includes(pkg))
    .map(([, pkg]) => pkg);
  return {
    voices: voices.map((v) => `festival/${v}`),
    missing:
      voices.length === 0
        ? `festival has no English voice: install one with  sudo apt-get install -y ${SYNTHESIZERS.festival.packages.slice(1).join(' ')}`
        : absent.length
          ? `festival voices not installed: sudo apt-get install -y ${absent.join(' ')}`
          : undefined,
  };
}

/** Flite's voices on this machine, of FLITE_VOICES ([] with a reason when Flite is missing). */
export async function fliteVoices(flite = 'flite') {
  let out;
  try {
    out = (await run(flite, ['-lv'])).toString();
  } catch (e) {
    return { voices: [], missing: e.code === 'ENOENT' ? missingMessage('flite', flite) : `flite failed to list its voices: ${e.stderr || e.message}` };
  }
  const have = new Set(out.replace(/^.*:/s, '').trim().split(/\s+/));
  const voices = FLITE_VOICES.filter((v) => have.has(v));
  const absent = FLITE_VOICES.filter((v) => !have.has(v));
  return { voices: voices.map((v) => `flite/${v}`), missing: absent.length ? `flite lacks the voices ${absent.join(', ')}` : undefined };
}

/** The WAV bytes of `text` said by a corpus voice at (rate, pitch); `tmp` is a scratch folder. */
export async function synthesize(u, tmp, programs = {}) {
  const { voice, rate, pitch, text } = u;
  const synth = synthOf(voice);
  const stretch = (165 / rate).toFixed(3);
  try {
    if (synth === 'espeak-ng') return await run(programs.espeak ?? 'espeak-ng', ['-v', voice, '-s', String(rate), '-p', String(pitch), '--stdout', text]);
    // Flite and Festival write their WAV to a file (Festival patches its sizes by seeking, and
    // Node's child pipes are sockets, which /dev/stdout cannot reopen)
    const file = join(tmp, `${process.pid}-${u.id}-${Math.random().toString(36).slice(2)}.wav`);
    if (synth === 'flite') {
      const name = voice.slice('flite/'.length);
      const f0 = pitch + (FLITE_FEMALE.has(name) ? 140 : 80);
      await run(programs.flite ?? 'flite', [
        '-voice',
        name,
        '--setf',
        `duration_stretch=${stretch}`,
        '--setf',
        `int_f0_target_mean=${f0}`,
        '-t',
        text,
        '-o',
        file,
      ]);
    } else {
      const name = voice.slice('festival/'.length);
      const f0 = pitch + (FESTIVAL_FEMALE.has(name) ? 140 : 80);
      const args = ['-eval', `(voice_${name})`, '-eval', `(Parameter.set 'Duration_Stretch ${stretch})`];
      if (!FESTIVAL_OWN_PITCH.has(name)) args.push('-eval', `(set! int_lr_params (cons (list 'target_f0_mean ${f0}) (cdr int_lr_params)))`);
      await run(programs.text2wave ?? 'text2wave', [...args, '-o', file], { input: text });
    }
    try {
      return await readFile(file);
    } finally {
      await rm(file, { force: true });
    }
  } catch (e) {
    throw new Error(`${synth} failed on utterance ${u.id} (${voice}): ${e.stderr || e.message}`);
  }
}
