// recurrent-nn/tasks: ready-made tasks built on the SDK (the package root), with their data
// preparation, metrics and baselines: word segmentation, text classification, grapheme to
// phoneme (G2P), Spanish→English translation (BPE, BLEU/chrF, IBM Model 1), forecasting, part-of-speech (word/TAG) tagging, next-word prediction, and the
// classic LSTM demo, and the adding problem (long-range memory).
/**
 * Ready-made tasks built on the SDK, each with its data preparation, metrics and baselines:
 * word segmentation, tagging (part of speech, NER), text classification, grapheme to phoneme,
 * spoken digits (CTC), forecasting, language models, and the classic LSTM demo. Every class
 * and function has an example that runs as written after `await init()` and an import of the
 * names it uses from `recurrent-nn` and `recurrent-nn/tasks` (test/doc-examples.test.ts runs
 * them all).
 * @packageDocumentation
 */

export type { AddingBatch } from './adding.js';
export { ADDING_BASELINE_MSE, addingProblem } from './adding.js';
export type {
  AugmentRangeStep,
  AugmentStep,
  GainStep,
  NoiseStep,
  NoiseType,
  PitchStep,
  ReverbStep,
  SpecAugmentStep,
  SpeechAugmentOptions,
} from './augment-speech.js';
export { bigramTokens, frequentBigrams, readsBigrams } from './bigrams.js';
export type { BleuScore, ChrfScore } from './bleu.js';
export { bleuSignature, chrfSignature, corpusBleu, corpusChrf, formatBleu, pySplit, tokenize13a } from './bleu.js';
export type { BpeJSON, BpeLearnOptions } from './bpe.js';
export { Bpe } from './bpe.js';
export { normalizeBrownTag } from './brown.js';
export type { CharTaggedSentence, ParseCharTaggedOptions, Splits } from './chinese.js';
export {
  formatCharTagged,
  isSurname,
  PKU_ENTITY_TAGS,
  parseCharTagged,
  peoplesDailyEntities,
  sentencePieces,
  splitByTens,
} from './chinese.js';
export { CharHmmSegmenter, charBigrams, DictionaryNer } from './chinese-baselines.js';
export type { ClassicOptions, ClassicResult } from './classic.js';
export { CLASSIC_TARGETS, classicLstm } from './classic.js';
export type { ClassifierOptions, LinearCompanion, Pooling, TokenLevel, TrainClassifierOptions } from './classify.js';
export {
  bestLinearWeight,
  charBigramSlots,
  combineScores,
  TextClassifier,
  tokenize,
  tokenVocabulary,
  trainClassifier,
  UNK_TOKEN,
} from './classify.js';
export type { TaskCompile, TaskName, TaskOptimizer, TaskTraining } from './defaults.js';
export { TASK_TRAINING, taskCompile } from './defaults.js';
export type { ErrorRates } from './edit-distance.js';
export { editDistance, errorRates, meanAbsoluteError } from './edit-distance.js';
export type { Entity, EntityCounts, EntityScore, TagScheme } from './entities.js';
export { convertTags, detectScheme, entitiesToTags, entityScore, formatEntityScore, splitTag, tagsToEntities, toBio } from './entities.js';
export type { Day, ForecastOptions, ForecastResult } from './forecast.js';
export { dayFeatures, forecastBirths, parseDailyCsv, seasonalNaive } from './forecast.js';
export type { G2PEvaluation, G2PFitOptions, LexiconEntry, ParsedLexicon, ParseLexiconOptions } from './g2p.js';
export { G2P, parseLexicon, splitLexicon, stripStress } from './g2p.js';
export type { DictionaryGazetteerOptions, GazetteerEntries, GazetteerLookup } from './gazetteer.js';
export {
  dictionaryGazetteer,
  GAZETTEER_MAX_LEN,
  GAZETTEER_MAX_TYPES,
  gazetteerBits,
  gazetteerEntries,
  gazetteerLookup,
  gazetteerSymbols,
  heldOutGazetteers,
  mergeGazetteers,
} from './gazetteer.js';
export type { AddingExperiment, AddingExperimentOptions, CellRun, ExplodingOptions, ExplodingRun, GradientFlowOptions } from './gradient-flow.js';
export { addingExperiment, explodingRelu, gradientFlow } from './gradient-flow.js';
export type { HeldOutLookup } from './held-out.js';
export { HELD_OUT_FOLDS, HeldOutCounts, markSpan } from './held-out.js';
export type { HmmTaggerOptions } from './hmm-tagger.js';
export { HmmTagger, MostFrequentTagger, viterbi, wordClass } from './hmm-tagger.js';
export { Ibm1 } from './ibm1.js';
export { KneserNeyTrigram } from './kneser-ney.js';
export { heldOutLexicons, LEXICON_CLASSES, LEXICON_MAX_LEN, lexiconBits, lexiconSymbols, lexiconWords } from './lexicon.js';
export type { BinaryScore, SegmentationScore } from './metrics.js';
export { binaryScore, segmentationScore, wordSpans } from './metrics.js';
export { MultinomialNaiveBayes } from './naive-bayes.js';
export type { NbLogisticJSON, NbLogisticOptions } from './nb-logistic.js';
export { charNgrams, NbLogisticRegression } from './nb-logistic.js';
export type { TrainEntityRecognizerOptions } from './ner.js';
export { EntityRecognizer, trainEntityRecognizer } from './ner.js';
export type { NextWordsOptions, WordModelOptions } from './next-word.js';
export {
  generateWords,
  isWordVocabulary,
  joinWords,
  mixedPerplexity,
  nextWords,
  softmax,
  sumNll,
  trigramLogProbs,
  wordLogProbs,
  wordModel,
  wordPerplexity,
} from './next-word.js';
export type { PosTaggerOptions, TrainPosTaggerOptions } from './pos.js';
export { coarseSignature, fineSignature, isChinese, PosTagger, tagSet, trainPosTagger, UNK_WORD, WordEncoder } from './pos.js';
export type { TaskProgress } from './progress.js';
export type { ParseOptions, SegmenterOptions, TrainSegmenterOptions } from './segment.js';
export {
  BMES,
  charVocabulary,
  chunkWords,
  decodeUtf8,
  LongestMatchSegmenter,
  NO_BIGRAM,
  parseSegmentedCorpus,
  proseToSentences,
  Segmenter,
  tagsToWords,
  trainSegmenter,
  UNK_CHAR,
  wordsToTags,
} from './segment.js';
export type { SpeechCorpus, SpeechFraming, SpeechNormalize, SpeechScore, SpeechTrainOptions, SpeechUtterance } from './speech.js';
export { bandStatistics, DIGIT_WORDS, digitsToWords, normalizeUtterance, SpeechRecognizer, SpeechStream, scoreTranscripts, stackFrames } from './speech.js';
export type { ParseTaggedOptions, TaggedSentence, TaggingScore } from './tagged.js';
export { parseTagged, splitFiles, taggingScore } from './tagged.js';
export type {
  LengthPenaltyChoice,
  TranslateEpoch,
  TranslateFitOptions,
  TranslateOptions,
  TranslationPair,
  TranslationScore,
  TranslatorOptions,
} from './translate.js';
export { LENGTH_PENALTIES, Translator } from './translate.js';
export type { TokenizeOptions } from './words.js';
export { EOS, tokenizeWords, UNK, wordVocabulary } from './words.js';
