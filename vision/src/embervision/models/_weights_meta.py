"""Published facts of torchvision 0.28's pretrained weight files (data, not code).

One entry per weights enum: for each member its download URL (the file name carries the
first hex digits of its sha256), the preprocessing preset and its arguments, and the meta
dict (``categories`` names a list in ``_meta``). Produced by reading the enums of the
installed torchvision wheel; regenerate rather than edit by hand.
"""

# ruff: noqa: E501

WEIGHTS = {'AlexNet_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/alexnet-owt-7be5be79.pth',
                                       'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                       'meta': {'num_params': 61100840,
                                                'min_size': (63, 63),
                                                'categories': 'imagenet',
                                                'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg',
                                                '_metrics': {'ImageNet-1K': {'acc@1': 56.522,
                                                                             'acc@5': 79.066}},
                                                '_ops': 0.714,
                                                '_file_size': 233.087,
                                                '_docs': '\n'
                                                         '                These weights reproduce closely '
                                                         'the results of the paper using a simplified '
                                                         'training recipe.\n'
                                                         '            '}},
                     'DEFAULT': 'IMAGENET1K_V1'},
 'ConvNeXt_Base_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/convnext_base-6075fbad.pth',
                                             'transforms': {'name': 'ImageClassification',
                                                            'crop_size': 224,
                                                            'resize_size': 232},
                                             'meta': {'min_size': (32, 32),
                                                      'categories': 'imagenet',
                                                      'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#convnext',
                                                      '_docs': '\n'
                                                               '        These weights improve upon the '
                                                               'results of the original paper by using a '
                                                               "modified version of TorchVision's\n"
                                                               '        `new training recipe\n'
                                                               '        '
                                                               '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                               '    ',
                                                      'num_params': 88591464,
                                                      '_metrics': {'ImageNet-1K': {'acc@1': 84.062,
                                                                                   'acc@5': 96.87}},
                                                      '_ops': 15.355,
                                                      '_file_size': 338.064}},
                           'DEFAULT': 'IMAGENET1K_V1'},
 'ConvNeXt_Large_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/convnext_large-ea097f82.pth',
                                              'transforms': {'name': 'ImageClassification',
                                                             'crop_size': 224,
                                                             'resize_size': 232},
                                              'meta': {'min_size': (32, 32),
                                                       'categories': 'imagenet',
                                                       'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#convnext',
                                                       '_docs': '\n'
                                                                '        These weights improve upon the '
                                                                'results of the original paper by using a '
                                                                "modified version of TorchVision's\n"
                                                                '        `new training recipe\n'
                                                                '        '
                                                                '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                '    ',
                                                       'num_params': 197767336,
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 84.414,
                                                                                    'acc@5': 96.976}},
                                                       '_ops': 34.361,
                                                       '_file_size': 754.537}},
                            'DEFAULT': 'IMAGENET1K_V1'},
 'ConvNeXt_Small_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/convnext_small-0c510722.pth',
                                              'transforms': {'name': 'ImageClassification',
                                                             'crop_size': 224,
                                                             'resize_size': 230},
                                              'meta': {'min_size': (32, 32),
                                                       'categories': 'imagenet',
                                                       'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#convnext',
                                                       '_docs': '\n'
                                                                '        These weights improve upon the '
                                                                'results of the original paper by using a '
                                                                "modified version of TorchVision's\n"
                                                                '        `new training recipe\n'
                                                                '        '
                                                                '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                '    ',
                                                       'num_params': 50223688,
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 83.616,
                                                                                    'acc@5': 96.65}},
                                                       '_ops': 8.684,
                                                       '_file_size': 191.703}},
                            'DEFAULT': 'IMAGENET1K_V1'},
 'ConvNeXt_Tiny_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/convnext_tiny-983f1562.pth',
                                             'transforms': {'name': 'ImageClassification',
                                                            'crop_size': 224,
                                                            'resize_size': 236},
                                             'meta': {'min_size': (32, 32),
                                                      'categories': 'imagenet',
                                                      'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#convnext',
                                                      '_docs': '\n'
                                                               '        These weights improve upon the '
                                                               'results of the original paper by using a '
                                                               "modified version of TorchVision's\n"
                                                               '        `new training recipe\n'
                                                               '        '
                                                               '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                               '    ',
                                                      'num_params': 28589128,
                                                      '_metrics': {'ImageNet-1K': {'acc@1': 82.52,
                                                                                   'acc@5': 96.146}},
                                                      '_ops': 4.456,
                                                      '_file_size': 109.119}},
                           'DEFAULT': 'IMAGENET1K_V1'},
 'DenseNet121_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/densenet121-a639ec97.pth',
                                           'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                           'meta': {'min_size': (29, 29),
                                                    'categories': 'imagenet',
                                                    'recipe': 'https://github.com/pytorch/vision/pull/116',
                                                    '_docs': 'These weights are ported from LuaTorch.',
                                                    'num_params': 7978856,
                                                    '_metrics': {'ImageNet-1K': {'acc@1': 74.434,
                                                                                 'acc@5': 91.972}},
                                                    '_ops': 2.834,
                                                    '_file_size': 30.845}},
                         'DEFAULT': 'IMAGENET1K_V1'},
 'DenseNet161_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/densenet161-8d451a50.pth',
                                           'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                           'meta': {'min_size': (29, 29),
                                                    'categories': 'imagenet',
                                                    'recipe': 'https://github.com/pytorch/vision/pull/116',
                                                    '_docs': 'These weights are ported from LuaTorch.',
                                                    'num_params': 28681000,
                                                    '_metrics': {'ImageNet-1K': {'acc@1': 77.138,
                                                                                 'acc@5': 93.56}},
                                                    '_ops': 7.728,
                                                    '_file_size': 110.369}},
                         'DEFAULT': 'IMAGENET1K_V1'},
 'DenseNet169_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/densenet169-b2777c0a.pth',
                                           'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                           'meta': {'min_size': (29, 29),
                                                    'categories': 'imagenet',
                                                    'recipe': 'https://github.com/pytorch/vision/pull/116',
                                                    '_docs': 'These weights are ported from LuaTorch.',
                                                    'num_params': 14149480,
                                                    '_metrics': {'ImageNet-1K': {'acc@1': 75.6,
                                                                                 'acc@5': 92.806}},
                                                    '_ops': 3.36,
                                                    '_file_size': 54.708}},
                         'DEFAULT': 'IMAGENET1K_V1'},
 'DenseNet201_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/densenet201-c1103571.pth',
                                           'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                           'meta': {'min_size': (29, 29),
                                                    'categories': 'imagenet',
                                                    'recipe': 'https://github.com/pytorch/vision/pull/116',
                                                    '_docs': 'These weights are ported from LuaTorch.',
                                                    'num_params': 20013928,
                                                    '_metrics': {'ImageNet-1K': {'acc@1': 76.896,
                                                                                 'acc@5': 93.37}},
                                                    '_ops': 4.291,
                                                    '_file_size': 77.373}},
                         'DEFAULT': 'IMAGENET1K_V1'},
 'EfficientNet_B0_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/efficientnet_b0_rwightman-7f5810bc.pth',
                                               'transforms': {'name': 'ImageClassification',
                                                              'crop_size': 224,
                                                              'resize_size': 256,
                                                              'interpolation': 'bicubic'},
                                               'meta': {'categories': 'imagenet',
                                                        'min_size': (1, 1),
                                                        'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1',
                                                        'num_params': 5288548,
                                                        '_metrics': {'ImageNet-1K': {'acc@1': 77.692,
                                                                                     'acc@5': 93.532}},
                                                        '_ops': 0.386,
                                                        '_file_size': 20.451,
                                                        '_docs': 'These weights are ported from the original '
                                                                 'paper.'}},
                             'DEFAULT': 'IMAGENET1K_V1'},
 'EfficientNet_B1_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/efficientnet_b1_rwightman-bac287d4.pth',
                                               'transforms': {'name': 'ImageClassification',
                                                              'crop_size': 240,
                                                              'resize_size': 256,
                                                              'interpolation': 'bicubic'},
                                               'meta': {'categories': 'imagenet',
                                                        'min_size': (1, 1),
                                                        'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1',
                                                        'num_params': 7794184,
                                                        '_metrics': {'ImageNet-1K': {'acc@1': 78.642,
                                                                                     'acc@5': 94.186}},
                                                        '_ops': 0.687,
                                                        '_file_size': 30.134,
                                                        '_docs': 'These weights are ported from the original '
                                                                 'paper.'}},
                             'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/efficientnet_b1-c27df63c.pth',
                                               'transforms': {'name': 'ImageClassification',
                                                              'crop_size': 240,
                                                              'resize_size': 255,
                                                              'interpolation': 'bilinear'},
                                               'meta': {'categories': 'imagenet',
                                                        'min_size': (1, 1),
                                                        'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe-with-lr-wd-crop-tuning',
                                                        'num_params': 7794184,
                                                        '_metrics': {'ImageNet-1K': {'acc@1': 79.838,
                                                                                     'acc@5': 94.934}},
                                                        '_ops': 0.687,
                                                        '_file_size': 30.136,
                                                        '_docs': '\n'
                                                                 '                These weights improve upon '
                                                                 'the results of the original paper by using '
                                                                 "a modified version of TorchVision's\n"
                                                                 '                `new training recipe\n'
                                                                 '                '
                                                                 '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                 '            '}},
                             'DEFAULT': 'IMAGENET1K_V2'},
 'EfficientNet_B2_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/efficientnet_b2_rwightman-c35c1473.pth',
                                               'transforms': {'name': 'ImageClassification',
                                                              'crop_size': 288,
                                                              'resize_size': 288,
                                                              'interpolation': 'bicubic'},
                                               'meta': {'categories': 'imagenet',
                                                        'min_size': (1, 1),
                                                        'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1',
                                                        'num_params': 9109994,
                                                        '_metrics': {'ImageNet-1K': {'acc@1': 80.608,
                                                                                     'acc@5': 95.31}},
                                                        '_ops': 1.088,
                                                        '_file_size': 35.174,
                                                        '_docs': 'These weights are ported from the original '
                                                                 'paper.'}},
                             'DEFAULT': 'IMAGENET1K_V1'},
 'EfficientNet_B3_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/efficientnet_b3_rwightman-b3899882.pth',
                                               'transforms': {'name': 'ImageClassification',
                                                              'crop_size': 300,
                                                              'resize_size': 320,
                                                              'interpolation': 'bicubic'},
                                               'meta': {'categories': 'imagenet',
                                                        'min_size': (1, 1),
                                                        'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1',
                                                        'num_params': 12233232,
                                                        '_metrics': {'ImageNet-1K': {'acc@1': 82.008,
                                                                                     'acc@5': 96.054}},
                                                        '_ops': 1.827,
                                                        '_file_size': 47.184,
                                                        '_docs': 'These weights are ported from the original '
                                                                 'paper.'}},
                             'DEFAULT': 'IMAGENET1K_V1'},
 'EfficientNet_B4_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/efficientnet_b4_rwightman-23ab8bcd.pth',
                                               'transforms': {'name': 'ImageClassification',
                                                              'crop_size': 380,
                                                              'resize_size': 384,
                                                              'interpolation': 'bicubic'},
                                               'meta': {'categories': 'imagenet',
                                                        'min_size': (1, 1),
                                                        'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1',
                                                        'num_params': 19341616,
                                                        '_metrics': {'ImageNet-1K': {'acc@1': 83.384,
                                                                                     'acc@5': 96.594}},
                                                        '_ops': 4.394,
                                                        '_file_size': 74.489,
                                                        '_docs': 'These weights are ported from the original '
                                                                 'paper.'}},
                             'DEFAULT': 'IMAGENET1K_V1'},
 'EfficientNet_B5_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/efficientnet_b5_lukemelas-1a07897c.pth',
                                               'transforms': {'name': 'ImageClassification',
                                                              'crop_size': 456,
                                                              'resize_size': 456,
                                                              'interpolation': 'bicubic'},
                                               'meta': {'categories': 'imagenet',
                                                        'min_size': (1, 1),
                                                        'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1',
                                                        'num_params': 30389784,
                                                        '_metrics': {'ImageNet-1K': {'acc@1': 83.444,
                                                                                     'acc@5': 96.628}},
                                                        '_ops': 10.266,
                                                        '_file_size': 116.864,
                                                        '_docs': 'These weights are ported from the original '
                                                                 'paper.'}},
                             'DEFAULT': 'IMAGENET1K_V1'},
 'EfficientNet_B6_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/efficientnet_b6_lukemelas-24a108a5.pth',
                                               'transforms': {'name': 'ImageClassification',
                                                              'crop_size': 528,
                                                              'resize_size': 528,
                                                              'interpolation': 'bicubic'},
                                               'meta': {'categories': 'imagenet',
                                                        'min_size': (1, 1),
                                                        'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1',
                                                        'num_params': 43040704,
                                                        '_metrics': {'ImageNet-1K': {'acc@1': 84.008,
                                                                                     'acc@5': 96.916}},
                                                        '_ops': 19.068,
                                                        '_file_size': 165.362,
                                                        '_docs': 'These weights are ported from the original '
                                                                 'paper.'}},
                             'DEFAULT': 'IMAGENET1K_V1'},
 'EfficientNet_B7_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/efficientnet_b7_lukemelas-c5b4e57e.pth',
                                               'transforms': {'name': 'ImageClassification',
                                                              'crop_size': 600,
                                                              'resize_size': 600,
                                                              'interpolation': 'bicubic'},
                                               'meta': {'categories': 'imagenet',
                                                        'min_size': (1, 1),
                                                        'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1',
                                                        'num_params': 66347960,
                                                        '_metrics': {'ImageNet-1K': {'acc@1': 84.122,
                                                                                     'acc@5': 96.908}},
                                                        '_ops': 37.746,
                                                        '_file_size': 254.675,
                                                        '_docs': 'These weights are ported from the original '
                                                                 'paper.'}},
                             'DEFAULT': 'IMAGENET1K_V1'},
 'EfficientNet_V2_L_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/efficientnet_v2_l-59c71312.pth',
                                                 'transforms': {'name': 'ImageClassification',
                                                                'crop_size': 480,
                                                                'resize_size': 480,
                                                                'interpolation': 'bicubic',
                                                                'mean': (0.5, 0.5, 0.5),
                                                                'std': (0.5, 0.5, 0.5)},
                                                 'meta': {'categories': 'imagenet',
                                                          'min_size': (33, 33),
                                                          'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v2',
                                                          'num_params': 118515272,
                                                          '_metrics': {'ImageNet-1K': {'acc@1': 85.808,
                                                                                       'acc@5': 97.788}},
                                                          '_ops': 56.08,
                                                          '_file_size': 454.573,
                                                          '_docs': 'These weights are ported from the '
                                                                   'original paper.'}},
                               'DEFAULT': 'IMAGENET1K_V1'},
 'EfficientNet_V2_M_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/efficientnet_v2_m-dc08266a.pth',
                                                 'transforms': {'name': 'ImageClassification',
                                                                'crop_size': 480,
                                                                'resize_size': 480,
                                                                'interpolation': 'bilinear'},
                                                 'meta': {'categories': 'imagenet',
                                                          'min_size': (33, 33),
                                                          'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v2',
                                                          'num_params': 54139356,
                                                          '_metrics': {'ImageNet-1K': {'acc@1': 85.112,
                                                                                       'acc@5': 97.156}},
                                                          '_ops': 24.582,
                                                          '_file_size': 208.01,
                                                          '_docs': '\n'
                                                                   '                These weights improve '
                                                                   'upon the results of the original paper '
                                                                   'by using a modified version of '
                                                                   "TorchVision's\n"
                                                                   '                `new training recipe\n'
                                                                   '                '
                                                                   '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                   '            '}},
                               'DEFAULT': 'IMAGENET1K_V1'},
 'EfficientNet_V2_S_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/efficientnet_v2_s-dd5fe13b.pth',
                                                 'transforms': {'name': 'ImageClassification',
                                                                'crop_size': 384,
                                                                'resize_size': 384,
                                                                'interpolation': 'bilinear'},
                                                 'meta': {'categories': 'imagenet',
                                                          'min_size': (33, 33),
                                                          'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v2',
                                                          'num_params': 21458488,
                                                          '_metrics': {'ImageNet-1K': {'acc@1': 84.228,
                                                                                       'acc@5': 96.878}},
                                                          '_ops': 8.366,
                                                          '_file_size': 82.704,
                                                          '_docs': '\n'
                                                                   '                These weights improve '
                                                                   'upon the results of the original paper '
                                                                   'by using a modified version of '
                                                                   "TorchVision's\n"
                                                                   '                `new training recipe\n'
                                                                   '                '
                                                                   '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                   '            '}},
                               'DEFAULT': 'IMAGENET1K_V1'},
 'GoogLeNet_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/googlenet-1378be20.pth',
                                         'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                         'meta': {'num_params': 6624904,
                                                  'min_size': (15, 15),
                                                  'categories': 'imagenet',
                                                  'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#googlenet',
                                                  '_metrics': {'ImageNet-1K': {'acc@1': 69.778,
                                                                               'acc@5': 89.53}},
                                                  '_ops': 1.498,
                                                  '_file_size': 49.731,
                                                  '_docs': 'These weights are ported from the original '
                                                           'paper.'}},
                       'DEFAULT': 'IMAGENET1K_V1'},
 'Inception_V3_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth',
                                            'transforms': {'name': 'ImageClassification',
                                                           'crop_size': 299,
                                                           'resize_size': 342},
                                            'meta': {'num_params': 27161264,
                                                     'min_size': (75, 75),
                                                     'categories': 'imagenet',
                                                     'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#inception-v3',
                                                     '_metrics': {'ImageNet-1K': {'acc@1': 77.294,
                                                                                  'acc@5': 93.45}},
                                                     '_ops': 5.713,
                                                     '_file_size': 103.903,
                                                     '_docs': 'These weights are ported from the original '
                                                              'paper.'}},
                          'DEFAULT': 'IMAGENET1K_V1'},
 'MaxVit_T_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/maxvit_t-bc5ab103.pth',
                                        'transforms': {'name': 'ImageClassification',
                                                       'crop_size': 224,
                                                       'resize_size': 224,
                                                       'interpolation': 'bicubic'},
                                        'meta': {'categories': 'imagenet',
                                                 'num_params': 30919624,
                                                 'min_size': (224, 224),
                                                 'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#maxvit',
                                                 '_metrics': {'ImageNet-1K': {'acc@1': 83.7,
                                                                              'acc@5': 96.722}},
                                                 '_ops': 5.558,
                                                 '_file_size': 118.769,
                                                 '_docs': 'These weights reproduce closely the results of '
                                                          'the paper using a similar training recipe.\n'
                                                          '            They were trained with a BatchNorm2D '
                                                          'momentum of 0.99 instead of the more correct '
                                                          '0.01.'}},
                      'DEFAULT': 'IMAGENET1K_V1'},
 'MNASNet0_5_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/mnasnet0.5_top1_67.823-3ffadce67e.pth',
                                          'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                          'meta': {'min_size': (1, 1),
                                                   'categories': 'imagenet',
                                                   'recipe': 'https://github.com/1e100/mnasnet_trainer',
                                                   'num_params': 2218512,
                                                   '_metrics': {'ImageNet-1K': {'acc@1': 67.734,
                                                                                'acc@5': 87.49}},
                                                   '_ops': 0.104,
                                                   '_file_size': 8.591,
                                                   '_docs': 'These weights reproduce closely the results of '
                                                            'the paper.'}},
                        'DEFAULT': 'IMAGENET1K_V1'},
 'MNASNet0_75_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/mnasnet0_75-7090bc5f.pth',
                                           'transforms': {'name': 'ImageClassification',
                                                          'crop_size': 224,
                                                          'resize_size': 232},
                                           'meta': {'min_size': (1, 1),
                                                    'categories': 'imagenet',
                                                    'recipe': 'https://github.com/pytorch/vision/pull/6019',
                                                    'num_params': 3170208,
                                                    '_metrics': {'ImageNet-1K': {'acc@1': 71.18,
                                                                                 'acc@5': 90.496}},
                                                    '_ops': 0.215,
                                                    '_file_size': 12.303,
                                                    '_docs': '\n'
                                                             '                These weights were trained '
                                                             "from scratch by using TorchVision's `new "
                                                             'training recipe\n'
                                                             '                '
                                                             '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                             '            '}},
                         'DEFAULT': 'IMAGENET1K_V1'},
 'MNASNet1_0_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/mnasnet1.0_top1_73.512-f206786ef8.pth',
                                          'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                          'meta': {'min_size': (1, 1),
                                                   'categories': 'imagenet',
                                                   'recipe': 'https://github.com/1e100/mnasnet_trainer',
                                                   'num_params': 4383312,
                                                   '_metrics': {'ImageNet-1K': {'acc@1': 73.456,
                                                                                'acc@5': 91.51}},
                                                   '_ops': 0.314,
                                                   '_file_size': 16.915,
                                                   '_docs': 'These weights reproduce closely the results of '
                                                            'the paper.'}},
                        'DEFAULT': 'IMAGENET1K_V1'},
 'MNASNet1_3_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/mnasnet1_3-a4c69d6f.pth',
                                          'transforms': {'name': 'ImageClassification',
                                                         'crop_size': 224,
                                                         'resize_size': 232},
                                          'meta': {'min_size': (1, 1),
                                                   'categories': 'imagenet',
                                                   'recipe': 'https://github.com/pytorch/vision/pull/6019',
                                                   'num_params': 6282256,
                                                   '_metrics': {'ImageNet-1K': {'acc@1': 76.506,
                                                                                'acc@5': 93.522}},
                                                   '_ops': 0.526,
                                                   '_file_size': 24.246,
                                                   '_docs': '\n'
                                                            '                These weights were trained from '
                                                            "scratch by using TorchVision's `new training "
                                                            'recipe\n'
                                                            '                '
                                                            '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                            '            '}},
                        'DEFAULT': 'IMAGENET1K_V1'},
 'MobileNet_V2_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/mobilenet_v2-b0353104.pth',
                                            'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                            'meta': {'num_params': 3504872,
                                                     'min_size': (1, 1),
                                                     'categories': 'imagenet',
                                                     'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#mobilenetv2',
                                                     '_metrics': {'ImageNet-1K': {'acc@1': 71.878,
                                                                                  'acc@5': 90.286}},
                                                     '_ops': 0.301,
                                                     '_file_size': 13.555,
                                                     '_docs': 'These weights reproduce closely the results '
                                                              'of the paper using a simple training '
                                                              'recipe.'}},
                          'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/mobilenet_v2-7ebf99e0.pth',
                                            'transforms': {'name': 'ImageClassification',
                                                           'crop_size': 224,
                                                           'resize_size': 232},
                                            'meta': {'num_params': 3504872,
                                                     'min_size': (1, 1),
                                                     'categories': 'imagenet',
                                                     'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe-with-reg-tuning',
                                                     '_metrics': {'ImageNet-1K': {'acc@1': 72.154,
                                                                                  'acc@5': 90.822}},
                                                     '_ops': 0.301,
                                                     '_file_size': 13.598,
                                                     '_docs': '\n'
                                                              '                These weights improve upon '
                                                              'the results of the original paper by using a '
                                                              "modified version of TorchVision's\n"
                                                              '                `new training recipe\n'
                                                              '                '
                                                              '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                              '            '}},
                          'DEFAULT': 'IMAGENET1K_V2'},
 'MobileNet_V3_Large_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/mobilenet_v3_large-8738ca79.pth',
                                                  'transforms': {'name': 'ImageClassification',
                                                                 'crop_size': 224},
                                                  'meta': {'min_size': (1, 1),
                                                           'categories': 'imagenet',
                                                           'num_params': 5483032,
                                                           'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#mobilenetv3-large--small',
                                                           '_metrics': {'ImageNet-1K': {'acc@1': 74.042,
                                                                                        'acc@5': 91.34}},
                                                           '_ops': 0.217,
                                                           '_file_size': 21.114,
                                                           '_docs': 'These weights were trained from scratch '
                                                                    'by using a simple training recipe.'}},
                                'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/mobilenet_v3_large-5c1a4163.pth',
                                                  'transforms': {'name': 'ImageClassification',
                                                                 'crop_size': 224,
                                                                 'resize_size': 232},
                                                  'meta': {'min_size': (1, 1),
                                                           'categories': 'imagenet',
                                                           'num_params': 5483032,
                                                           'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe-with-reg-tuning',
                                                           '_metrics': {'ImageNet-1K': {'acc@1': 75.274,
                                                                                        'acc@5': 92.566}},
                                                           '_ops': 0.217,
                                                           '_file_size': 21.107,
                                                           '_docs': '\n'
                                                                    '                These weights improve '
                                                                    'marginally upon the results of the '
                                                                    'original paper by using a modified '
                                                                    'version of\n'
                                                                    "                TorchVision's `new "
                                                                    'training recipe\n'
                                                                    '                '
                                                                    '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                    '            '}},
                                'DEFAULT': 'IMAGENET1K_V2'},
 'MobileNet_V3_Small_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/mobilenet_v3_small-047dcff4.pth',
                                                  'transforms': {'name': 'ImageClassification',
                                                                 'crop_size': 224},
                                                  'meta': {'min_size': (1, 1),
                                                           'categories': 'imagenet',
                                                           'num_params': 2542856,
                                                           'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#mobilenetv3-large--small',
                                                           '_metrics': {'ImageNet-1K': {'acc@1': 67.668,
                                                                                        'acc@5': 87.402}},
                                                           '_ops': 0.057,
                                                           '_file_size': 9.829,
                                                           '_docs': '\n'
                                                                    '                These weights improve '
                                                                    'upon the results of the original paper '
                                                                    'by using a simple training recipe.\n'
                                                                    '            '}},
                                'DEFAULT': 'IMAGENET1K_V1'},
 'RegNet_X_16GF_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/regnet_x_16gf-2007eb11.pth',
                                             'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                             'meta': {'min_size': (1, 1),
                                                      'categories': 'imagenet',
                                                      'num_params': 54278536,
                                                      'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#medium-models',
                                                      '_metrics': {'ImageNet-1K': {'acc@1': 80.058,
                                                                                   'acc@5': 94.944}},
                                                      '_ops': 15.941,
                                                      '_file_size': 207.627,
                                                      '_docs': 'These weights reproduce closely the results '
                                                               'of the paper using a simple training '
                                                               'recipe.'}},
                           'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/regnet_x_16gf-ba3796d7.pth',
                                             'transforms': {'name': 'ImageClassification',
                                                            'crop_size': 224,
                                                            'resize_size': 232},
                                             'meta': {'min_size': (1, 1),
                                                      'categories': 'imagenet',
                                                      'num_params': 54278536,
                                                      'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe',
                                                      '_metrics': {'ImageNet-1K': {'acc@1': 82.716,
                                                                                   'acc@5': 96.196}},
                                                      '_ops': 15.941,
                                                      '_file_size': 207.627,
                                                      '_docs': '\n'
                                                               '                These weights improve upon '
                                                               'the results of the original paper by using a '
                                                               "modified version of TorchVision's\n"
                                                               '                `new training recipe\n'
                                                               '                '
                                                               '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                               '            '}},
                           'DEFAULT': 'IMAGENET1K_V2'},
 'RegNet_X_1_6GF_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/regnet_x_1_6gf-e3633e7f.pth',
                                              'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                              'meta': {'min_size': (1, 1),
                                                       'categories': 'imagenet',
                                                       'num_params': 9190136,
                                                       'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#small-models',
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 77.04,
                                                                                    'acc@5': 93.44}},
                                                       '_ops': 1.603,
                                                       '_file_size': 35.339,
                                                       '_docs': 'These weights reproduce closely the results '
                                                                'of the paper using a simple training '
                                                                'recipe.'}},
                            'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/regnet_x_1_6gf-a12f2b72.pth',
                                              'transforms': {'name': 'ImageClassification',
                                                             'crop_size': 224,
                                                             'resize_size': 232},
                                              'meta': {'min_size': (1, 1),
                                                       'categories': 'imagenet',
                                                       'num_params': 9190136,
                                                       'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres',
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 79.668,
                                                                                    'acc@5': 94.922}},
                                                       '_ops': 1.603,
                                                       '_file_size': 35.339,
                                                       '_docs': '\n'
                                                                '                These weights improve upon '
                                                                'the results of the original paper by using '
                                                                "a modified version of TorchVision's\n"
                                                                '                `new training recipe\n'
                                                                '                '
                                                                '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                '            '}},
                            'DEFAULT': 'IMAGENET1K_V2'},
 'RegNet_X_32GF_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/regnet_x_32gf-9d47f8d0.pth',
                                             'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                             'meta': {'min_size': (1, 1),
                                                      'categories': 'imagenet',
                                                      'num_params': 107811560,
                                                      'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#large-models',
                                                      '_metrics': {'ImageNet-1K': {'acc@1': 80.622,
                                                                                   'acc@5': 95.248}},
                                                      '_ops': 31.736,
                                                      '_file_size': 412.039,
                                                      '_docs': 'These weights reproduce closely the results '
                                                               'of the paper using a simple training '
                                                               'recipe.'}},
                           'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/regnet_x_32gf-6eb8fdc6.pth',
                                             'transforms': {'name': 'ImageClassification',
                                                            'crop_size': 224,
                                                            'resize_size': 232},
                                             'meta': {'min_size': (1, 1),
                                                      'categories': 'imagenet',
                                                      'num_params': 107811560,
                                                      'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe',
                                                      '_metrics': {'ImageNet-1K': {'acc@1': 83.014,
                                                                                   'acc@5': 96.288}},
                                                      '_ops': 31.736,
                                                      '_file_size': 412.039,
                                                      '_docs': '\n'
                                                               '                These weights improve upon '
                                                               'the results of the original paper by using a '
                                                               "modified version of TorchVision's\n"
                                                               '                `new training recipe\n'
                                                               '                '
                                                               '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                               '            '}},
                           'DEFAULT': 'IMAGENET1K_V2'},
 'RegNet_X_3_2GF_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/regnet_x_3_2gf-f342aeae.pth',
                                              'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                              'meta': {'min_size': (1, 1),
                                                       'categories': 'imagenet',
                                                       'num_params': 15296552,
                                                       'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#medium-models',
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 78.364,
                                                                                    'acc@5': 93.992}},
                                                       '_ops': 3.177,
                                                       '_file_size': 58.756,
                                                       '_docs': 'These weights reproduce closely the results '
                                                                'of the paper using a simple training '
                                                                'recipe.'}},
                            'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/regnet_x_3_2gf-7071aa85.pth',
                                              'transforms': {'name': 'ImageClassification',
                                                             'crop_size': 224,
                                                             'resize_size': 232},
                                              'meta': {'min_size': (1, 1),
                                                       'categories': 'imagenet',
                                                       'num_params': 15296552,
                                                       'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe',
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 81.196,
                                                                                    'acc@5': 95.43}},
                                                       '_ops': 3.177,
                                                       '_file_size': 58.756,
                                                       '_docs': '\n'
                                                                '                These weights improve upon '
                                                                'the results of the original paper by using '
                                                                "a modified version of TorchVision's\n"
                                                                '                `new training recipe\n'
                                                                '                '
                                                                '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                '            '}},
                            'DEFAULT': 'IMAGENET1K_V2'},
 'RegNet_X_400MF_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/regnet_x_400mf-adf1edd5.pth',
                                              'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                              'meta': {'min_size': (1, 1),
                                                       'categories': 'imagenet',
                                                       'num_params': 5495976,
                                                       'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#small-models',
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 72.834,
                                                                                    'acc@5': 90.95}},
                                                       '_ops': 0.414,
                                                       '_file_size': 21.258,
                                                       '_docs': 'These weights reproduce closely the results '
                                                                'of the paper using a simple training '
                                                                'recipe.'}},
                            'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/regnet_x_400mf-62229a5f.pth',
                                              'transforms': {'name': 'ImageClassification',
                                                             'crop_size': 224,
                                                             'resize_size': 232},
                                              'meta': {'min_size': (1, 1),
                                                       'categories': 'imagenet',
                                                       'num_params': 5495976,
                                                       'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres',
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 74.864,
                                                                                    'acc@5': 92.322}},
                                                       '_ops': 0.414,
                                                       '_file_size': 21.257,
                                                       '_docs': '\n'
                                                                '                These weights improve upon '
                                                                'the results of the original paper by using '
                                                                "a modified version of TorchVision's\n"
                                                                '                `new training recipe\n'
                                                                '                '
                                                                '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                '            '}},
                            'DEFAULT': 'IMAGENET1K_V2'},
 'RegNet_X_800MF_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/regnet_x_800mf-ad17e45c.pth',
                                              'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                              'meta': {'min_size': (1, 1),
                                                       'categories': 'imagenet',
                                                       'num_params': 7259656,
                                                       'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#small-models',
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 75.212,
                                                                                    'acc@5': 92.348}},
                                                       '_ops': 0.8,
                                                       '_file_size': 27.945,
                                                       '_docs': 'These weights reproduce closely the results '
                                                                'of the paper using a simple training '
                                                                'recipe.'}},
                            'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/regnet_x_800mf-94a99ebd.pth',
                                              'transforms': {'name': 'ImageClassification',
                                                             'crop_size': 224,
                                                             'resize_size': 232},
                                              'meta': {'min_size': (1, 1),
                                                       'categories': 'imagenet',
                                                       'num_params': 7259656,
                                                       'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres',
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 77.522,
                                                                                    'acc@5': 93.826}},
                                                       '_ops': 0.8,
                                                       '_file_size': 27.945,
                                                       '_docs': '\n'
                                                                '                These weights improve upon '
                                                                'the results of the original paper by using '
                                                                "a modified version of TorchVision's\n"
                                                                '                `new training recipe\n'
                                                                '                '
                                                                '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                '            '}},
                            'DEFAULT': 'IMAGENET1K_V2'},
 'RegNet_X_8GF_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/regnet_x_8gf-03ceed89.pth',
                                            'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                            'meta': {'min_size': (1, 1),
                                                     'categories': 'imagenet',
                                                     'num_params': 39572648,
                                                     'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#medium-models',
                                                     '_metrics': {'ImageNet-1K': {'acc@1': 79.344,
                                                                                  'acc@5': 94.686}},
                                                     '_ops': 7.995,
                                                     '_file_size': 151.456,
                                                     '_docs': 'These weights reproduce closely the results '
                                                              'of the paper using a simple training '
                                                              'recipe.'}},
                          'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/regnet_x_8gf-2b70d774.pth',
                                            'transforms': {'name': 'ImageClassification',
                                                           'crop_size': 224,
                                                           'resize_size': 232},
                                            'meta': {'min_size': (1, 1),
                                                     'categories': 'imagenet',
                                                     'num_params': 39572648,
                                                     'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe',
                                                     '_metrics': {'ImageNet-1K': {'acc@1': 81.682,
                                                                                  'acc@5': 95.678}},
                                                     '_ops': 7.995,
                                                     '_file_size': 151.456,
                                                     '_docs': '\n'
                                                              '                These weights improve upon '
                                                              'the results of the original paper by using a '
                                                              "modified version of TorchVision's\n"
                                                              '                `new training recipe\n'
                                                              '                '
                                                              '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                              '            '}},
                          'DEFAULT': 'IMAGENET1K_V2'},
 'RegNet_Y_128GF_Weights': {'IMAGENET1K_SWAG_E2E_V1': {'url': 'https://download.pytorch.org/models/regnet_y_128gf_swag-c8ce3e52.pth',
                                                       'transforms': {'name': 'ImageClassification',
                                                                      'crop_size': 384,
                                                                      'resize_size': 384,
                                                                      'interpolation': 'bicubic'},
                                                       'meta': {'min_size': (1, 1),
                                                                'categories': 'imagenet',
                                                                'recipe': 'https://github.com/facebookresearch/SWAG',
                                                                'license': 'https://github.com/facebookresearch/SWAG/blob/main/LICENSE',
                                                                'num_params': 644812894,
                                                                '_metrics': {'ImageNet-1K': {'acc@1': 88.228,
                                                                                             'acc@5': 98.682}},
                                                                '_ops': 374.57,
                                                                '_file_size': 2461.564,
                                                                '_docs': '\n'
                                                                         '                These weights are '
                                                                         'learnt via transfer learning by '
                                                                         'end-to-end fine-tuning the '
                                                                         'original\n'
                                                                         '                `SWAG '
                                                                         '<https://arxiv.org/abs/2201.08371>`_ '
                                                                         'weights on ImageNet-1K data.\n'
                                                                         '            '}},
                            'IMAGENET1K_SWAG_LINEAR_V1': {'url': 'https://download.pytorch.org/models/regnet_y_128gf_lc_swag-cbe8ce12.pth',
                                                          'transforms': {'name': 'ImageClassification',
                                                                         'crop_size': 224,
                                                                         'resize_size': 224,
                                                                         'interpolation': 'bicubic'},
                                                          'meta': {'min_size': (1, 1),
                                                                   'categories': 'imagenet',
                                                                   'recipe': 'https://github.com/pytorch/vision/pull/5793',
                                                                   'license': 'https://github.com/facebookresearch/SWAG/blob/main/LICENSE',
                                                                   'num_params': 644812894,
                                                                   '_metrics': {'ImageNet-1K': {'acc@1': 86.068,
                                                                                                'acc@5': 97.844}},
                                                                   '_ops': 127.518,
                                                                   '_file_size': 2461.564,
                                                                   '_docs': '\n'
                                                                            '                These weights '
                                                                            'are composed of the original '
                                                                            'frozen `SWAG '
                                                                            '<https://arxiv.org/abs/2201.08371>`_ '
                                                                            'trunk\n'
                                                                            '                weights and a '
                                                                            'linear classifier learnt on top '
                                                                            'of them trained on ImageNet-1K '
                                                                            'data.\n'
                                                                            '            '}},
                            'DEFAULT': 'IMAGENET1K_SWAG_E2E_V1'},
 'RegNet_Y_16GF_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/regnet_y_16gf-9e6ed7dd.pth',
                                             'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                             'meta': {'min_size': (1, 1),
                                                      'categories': 'imagenet',
                                                      'num_params': 83590140,
                                                      'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#large-models',
                                                      '_metrics': {'ImageNet-1K': {'acc@1': 80.424,
                                                                                   'acc@5': 95.24}},
                                                      '_ops': 15.912,
                                                      '_file_size': 319.49,
                                                      '_docs': 'These weights reproduce closely the results '
                                                               'of the paper using a simple training '
                                                               'recipe.'}},
                           'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/regnet_y_16gf-3e4a00f9.pth',
                                             'transforms': {'name': 'ImageClassification',
                                                            'crop_size': 224,
                                                            'resize_size': 232},
                                             'meta': {'min_size': (1, 1),
                                                      'categories': 'imagenet',
                                                      'num_params': 83590140,
                                                      'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe',
                                                      '_metrics': {'ImageNet-1K': {'acc@1': 82.886,
                                                                                   'acc@5': 96.328}},
                                                      '_ops': 15.912,
                                                      '_file_size': 319.49,
                                                      '_docs': '\n'
                                                               '                These weights improve upon '
                                                               'the results of the original paper by using a '
                                                               "modified version of TorchVision's\n"
                                                               '                `new training recipe\n'
                                                               '                '
                                                               '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                               '            '}},
                           'IMAGENET1K_SWAG_E2E_V1': {'url': 'https://download.pytorch.org/models/regnet_y_16gf_swag-43afe44d.pth',
                                                      'transforms': {'name': 'ImageClassification',
                                                                     'crop_size': 384,
                                                                     'resize_size': 384,
                                                                     'interpolation': 'bicubic'},
                                                      'meta': {'min_size': (1, 1),
                                                               'categories': 'imagenet',
                                                               'recipe': 'https://github.com/facebookresearch/SWAG',
                                                               'license': 'https://github.com/facebookresearch/SWAG/blob/main/LICENSE',
                                                               'num_params': 83590140,
                                                               '_metrics': {'ImageNet-1K': {'acc@1': 86.012,
                                                                                            'acc@5': 98.054}},
                                                               '_ops': 46.735,
                                                               '_file_size': 319.49,
                                                               '_docs': '\n'
                                                                        '                These weights are '
                                                                        'learnt via transfer learning by '
                                                                        'end-to-end fine-tuning the '
                                                                        'original\n'
                                                                        '                `SWAG '
                                                                        '<https://arxiv.org/abs/2201.08371>`_ '
                                                                        'weights on ImageNet-1K data.\n'
                                                                        '            '}},
                           'IMAGENET1K_SWAG_LINEAR_V1': {'url': 'https://download.pytorch.org/models/regnet_y_16gf_lc_swag-f3ec0043.pth',
                                                         'transforms': {'name': 'ImageClassification',
                                                                        'crop_size': 224,
                                                                        'resize_size': 224,
                                                                        'interpolation': 'bicubic'},
                                                         'meta': {'min_size': (1, 1),
                                                                  'categories': 'imagenet',
                                                                  'recipe': 'https://github.com/pytorch/vision/pull/5793',
                                                                  'license': 'https://github.com/facebookresearch/SWAG/blob/main/LICENSE',
                                                                  'num_params': 83590140,
                                                                  '_metrics': {'ImageNet-1K': {'acc@1': 83.976,
                                                                                               'acc@5': 97.244}},
                                                                  '_ops': 15.912,
                                                                  '_file_size': 319.49,
                                                                  '_docs': '\n'
                                                                           '                These weights '
                                                                           'are composed of the original '
                                                                           'frozen `SWAG '
                                                                           '<https://arxiv.org/abs/2201.08371>`_ '
                                                                           'trunk\n'
                                                                           '                weights and a '
                                                                           'linear classifier learnt on top '
                                                                           'of them trained on ImageNet-1K '
                                                                           'data.\n'
                                                                           '            '}},
                           'DEFAULT': 'IMAGENET1K_V2'},
 'RegNet_Y_1_6GF_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/regnet_y_1_6gf-b11a554e.pth',
                                              'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                              'meta': {'min_size': (1, 1),
                                                       'categories': 'imagenet',
                                                       'num_params': 11202430,
                                                       'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#small-models',
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 77.95,
                                                                                    'acc@5': 93.966}},
                                                       '_ops': 1.612,
                                                       '_file_size': 43.152,
                                                       '_docs': 'These weights reproduce closely the results '
                                                                'of the paper using a simple training '
                                                                'recipe.'}},
                            'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/regnet_y_1_6gf-0d7bc02a.pth',
                                              'transforms': {'name': 'ImageClassification',
                                                             'crop_size': 224,
                                                             'resize_size': 232},
                                              'meta': {'min_size': (1, 1),
                                                       'categories': 'imagenet',
                                                       'num_params': 11202430,
                                                       'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe',
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 80.876,
                                                                                    'acc@5': 95.444}},
                                                       '_ops': 1.612,
                                                       '_file_size': 43.152,
                                                       '_docs': '\n'
                                                                '                These weights improve upon '
                                                                'the results of the original paper by using '
                                                                "a modified version of TorchVision's\n"
                                                                '                `new training recipe\n'
                                                                '                '
                                                                '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                '            '}},
                            'DEFAULT': 'IMAGENET1K_V2'},
 'RegNet_Y_32GF_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/regnet_y_32gf-4dee3f7a.pth',
                                             'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                             'meta': {'min_size': (1, 1),
                                                      'categories': 'imagenet',
                                                      'num_params': 145046770,
                                                      'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#large-models',
                                                      '_metrics': {'ImageNet-1K': {'acc@1': 80.878,
                                                                                   'acc@5': 95.34}},
                                                      '_ops': 32.28,
                                                      '_file_size': 554.076,
                                                      '_docs': 'These weights reproduce closely the results '
                                                               'of the paper using a simple training '
                                                               'recipe.'}},
                           'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/regnet_y_32gf-8db6d4b5.pth',
                                             'transforms': {'name': 'ImageClassification',
                                                            'crop_size': 224,
                                                            'resize_size': 232},
                                             'meta': {'min_size': (1, 1),
                                                      'categories': 'imagenet',
                                                      'num_params': 145046770,
                                                      'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe',
                                                      '_metrics': {'ImageNet-1K': {'acc@1': 83.368,
                                                                                   'acc@5': 96.498}},
                                                      '_ops': 32.28,
                                                      '_file_size': 554.076,
                                                      '_docs': '\n'
                                                               '                These weights improve upon '
                                                               'the results of the original paper by using a '
                                                               "modified version of TorchVision's\n"
                                                               '                `new training recipe\n'
                                                               '                '
                                                               '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                               '            '}},
                           'IMAGENET1K_SWAG_E2E_V1': {'url': 'https://download.pytorch.org/models/regnet_y_32gf_swag-04fdfa75.pth',
                                                      'transforms': {'name': 'ImageClassification',
                                                                     'crop_size': 384,
                                                                     'resize_size': 384,
                                                                     'interpolation': 'bicubic'},
                                                      'meta': {'min_size': (1, 1),
                                                               'categories': 'imagenet',
                                                               'recipe': 'https://github.com/facebookresearch/SWAG',
                                                               'license': 'https://github.com/facebookresearch/SWAG/blob/main/LICENSE',
                                                               'num_params': 145046770,
                                                               '_metrics': {'ImageNet-1K': {'acc@1': 86.838,
                                                                                            'acc@5': 98.362}},
                                                               '_ops': 94.826,
                                                               '_file_size': 554.076,
                                                               '_docs': '\n'
                                                                        '                These weights are '
                                                                        'learnt via transfer learning by '
                                                                        'end-to-end fine-tuning the '
                                                                        'original\n'
                                                                        '                `SWAG '
                                                                        '<https://arxiv.org/abs/2201.08371>`_ '
                                                                        'weights on ImageNet-1K data.\n'
                                                                        '            '}},
                           'IMAGENET1K_SWAG_LINEAR_V1': {'url': 'https://download.pytorch.org/models/regnet_y_32gf_lc_swag-e1583746.pth',
                                                         'transforms': {'name': 'ImageClassification',
                                                                        'crop_size': 224,
                                                                        'resize_size': 224,
                                                                        'interpolation': 'bicubic'},
                                                         'meta': {'min_size': (1, 1),
                                                                  'categories': 'imagenet',
                                                                  'recipe': 'https://github.com/pytorch/vision/pull/5793',
                                                                  'license': 'https://github.com/facebookresearch/SWAG/blob/main/LICENSE',
                                                                  'num_params': 145046770,
                                                                  '_metrics': {'ImageNet-1K': {'acc@1': 84.622,
                                                                                               'acc@5': 97.48}},
                                                                  '_ops': 32.28,
                                                                  '_file_size': 554.076,
                                                                  '_docs': '\n'
                                                                           '                These weights '
                                                                           'are composed of the original '
                                                                           'frozen `SWAG '
                                                                           '<https://arxiv.org/abs/2201.08371>`_ '
                                                                           'trunk\n'
                                                                           '                weights and a '
                                                                           'linear classifier learnt on top '
                                                                           'of them trained on ImageNet-1K '
                                                                           'data.\n'
                                                                           '            '}},
                           'DEFAULT': 'IMAGENET1K_V2'},
 'RegNet_Y_3_2GF_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/regnet_y_3_2gf-b5a9779c.pth',
                                              'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                              'meta': {'min_size': (1, 1),
                                                       'categories': 'imagenet',
                                                       'num_params': 19436338,
                                                       'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#medium-models',
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 78.948,
                                                                                    'acc@5': 94.576}},
                                                       '_ops': 3.176,
                                                       '_file_size': 74.567,
                                                       '_docs': 'These weights reproduce closely the results '
                                                                'of the paper using a simple training '
                                                                'recipe.'}},
                            'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/regnet_y_3_2gf-9180c971.pth',
                                              'transforms': {'name': 'ImageClassification',
                                                             'crop_size': 224,
                                                             'resize_size': 232},
                                              'meta': {'min_size': (1, 1),
                                                       'categories': 'imagenet',
                                                       'num_params': 19436338,
                                                       'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe',
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 81.982,
                                                                                    'acc@5': 95.972}},
                                                       '_ops': 3.176,
                                                       '_file_size': 74.567,
                                                       '_docs': '\n'
                                                                '                These weights improve upon '
                                                                'the results of the original paper by using '
                                                                "a modified version of TorchVision's\n"
                                                                '                `new training recipe\n'
                                                                '                '
                                                                '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                '            '}},
                            'DEFAULT': 'IMAGENET1K_V2'},
 'RegNet_Y_400MF_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/regnet_y_400mf-c65dace8.pth',
                                              'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                              'meta': {'min_size': (1, 1),
                                                       'categories': 'imagenet',
                                                       'num_params': 4344144,
                                                       'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#small-models',
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 74.046,
                                                                                    'acc@5': 91.716}},
                                                       '_ops': 0.402,
                                                       '_file_size': 16.806,
                                                       '_docs': 'These weights reproduce closely the results '
                                                                'of the paper using a simple training '
                                                                'recipe.'}},
                            'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/regnet_y_400mf-e6988f5f.pth',
                                              'transforms': {'name': 'ImageClassification',
                                                             'crop_size': 224,
                                                             'resize_size': 232},
                                              'meta': {'min_size': (1, 1),
                                                       'categories': 'imagenet',
                                                       'num_params': 4344144,
                                                       'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe',
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 75.804,
                                                                                    'acc@5': 92.742}},
                                                       '_ops': 0.402,
                                                       '_file_size': 16.806,
                                                       '_docs': '\n'
                                                                '                These weights improve upon '
                                                                'the results of the original paper by using '
                                                                "a modified version of TorchVision's\n"
                                                                '                `new training recipe\n'
                                                                '                '
                                                                '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                '            '}},
                            'DEFAULT': 'IMAGENET1K_V2'},
 'RegNet_Y_800MF_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/regnet_y_800mf-1b27b58c.pth',
                                              'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                              'meta': {'min_size': (1, 1),
                                                       'categories': 'imagenet',
                                                       'num_params': 6432512,
                                                       'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#small-models',
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 76.42,
                                                                                    'acc@5': 93.136}},
                                                       '_ops': 0.834,
                                                       '_file_size': 24.774,
                                                       '_docs': 'These weights reproduce closely the results '
                                                                'of the paper using a simple training '
                                                                'recipe.'}},
                            'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/regnet_y_800mf-58fc7688.pth',
                                              'transforms': {'name': 'ImageClassification',
                                                             'crop_size': 224,
                                                             'resize_size': 232},
                                              'meta': {'min_size': (1, 1),
                                                       'categories': 'imagenet',
                                                       'num_params': 6432512,
                                                       'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe',
                                                       '_metrics': {'ImageNet-1K': {'acc@1': 78.828,
                                                                                    'acc@5': 94.502}},
                                                       '_ops': 0.834,
                                                       '_file_size': 24.774,
                                                       '_docs': '\n'
                                                                '                These weights improve upon '
                                                                'the results of the original paper by using '
                                                                "a modified version of TorchVision's\n"
                                                                '                `new training recipe\n'
                                                                '                '
                                                                '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                '            '}},
                            'DEFAULT': 'IMAGENET1K_V2'},
 'RegNet_Y_8GF_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/regnet_y_8gf-d0d0e4a8.pth',
                                            'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                            'meta': {'min_size': (1, 1),
                                                     'categories': 'imagenet',
                                                     'num_params': 39381472,
                                                     'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#medium-models',
                                                     '_metrics': {'ImageNet-1K': {'acc@1': 80.032,
                                                                                  'acc@5': 95.048}},
                                                     '_ops': 8.473,
                                                     '_file_size': 150.701,
                                                     '_docs': 'These weights reproduce closely the results '
                                                              'of the paper using a simple training '
                                                              'recipe.'}},
                          'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/regnet_y_8gf-dc2b1b54.pth',
                                            'transforms': {'name': 'ImageClassification',
                                                           'crop_size': 224,
                                                           'resize_size': 232},
                                            'meta': {'min_size': (1, 1),
                                                     'categories': 'imagenet',
                                                     'num_params': 39381472,
                                                     'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe',
                                                     '_metrics': {'ImageNet-1K': {'acc@1': 82.828,
                                                                                  'acc@5': 96.33}},
                                                     '_ops': 8.473,
                                                     '_file_size': 150.701,
                                                     '_docs': '\n'
                                                              '                These weights improve upon '
                                                              'the results of the original paper by using a '
                                                              "modified version of TorchVision's\n"
                                                              '                `new training recipe\n'
                                                              '                '
                                                              '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                              '            '}},
                          'DEFAULT': 'IMAGENET1K_V2'},
 'ResNet101_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/resnet101-63fe2227.pth',
                                         'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                         'meta': {'min_size': (1, 1),
                                                  'categories': 'imagenet',
                                                  'num_params': 44549160,
                                                  'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#resnet',
                                                  '_metrics': {'ImageNet-1K': {'acc@1': 77.374,
                                                                               'acc@5': 93.546}},
                                                  '_ops': 7.801,
                                                  '_file_size': 170.511,
                                                  '_docs': 'These weights reproduce closely the results of '
                                                           'the paper using a simple training recipe.'}},
                       'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/resnet101-cd907fc2.pth',
                                         'transforms': {'name': 'ImageClassification',
                                                        'crop_size': 224,
                                                        'resize_size': 232},
                                         'meta': {'min_size': (1, 1),
                                                  'categories': 'imagenet',
                                                  'num_params': 44549160,
                                                  'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe',
                                                  '_metrics': {'ImageNet-1K': {'acc@1': 81.886,
                                                                               'acc@5': 95.78}},
                                                  '_ops': 7.801,
                                                  '_file_size': 170.53,
                                                  '_docs': '\n'
                                                           '                These weights improve upon the '
                                                           'results of the original paper by using '
                                                           "TorchVision's `new training recipe\n"
                                                           '                '
                                                           '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                           '            '}},
                       'DEFAULT': 'IMAGENET1K_V2'},
 'ResNet152_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/resnet152-394f9c45.pth',
                                         'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                         'meta': {'min_size': (1, 1),
                                                  'categories': 'imagenet',
                                                  'num_params': 60192808,
                                                  'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#resnet',
                                                  '_metrics': {'ImageNet-1K': {'acc@1': 78.312,
                                                                               'acc@5': 94.046}},
                                                  '_ops': 11.514,
                                                  '_file_size': 230.434,
                                                  '_docs': 'These weights reproduce closely the results of '
                                                           'the paper using a simple training recipe.'}},
                       'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/resnet152-f82ba261.pth',
                                         'transforms': {'name': 'ImageClassification',
                                                        'crop_size': 224,
                                                        'resize_size': 232},
                                         'meta': {'min_size': (1, 1),
                                                  'categories': 'imagenet',
                                                  'num_params': 60192808,
                                                  'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe',
                                                  '_metrics': {'ImageNet-1K': {'acc@1': 82.284,
                                                                               'acc@5': 96.002}},
                                                  '_ops': 11.514,
                                                  '_file_size': 230.474,
                                                  '_docs': '\n'
                                                           '                These weights improve upon the '
                                                           'results of the original paper by using '
                                                           "TorchVision's `new training recipe\n"
                                                           '                '
                                                           '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                           '            '}},
                       'DEFAULT': 'IMAGENET1K_V2'},
 'ResNet18_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/resnet18-f37072fd.pth',
                                        'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                        'meta': {'min_size': (1, 1),
                                                 'categories': 'imagenet',
                                                 'num_params': 11689512,
                                                 'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#resnet',
                                                 '_metrics': {'ImageNet-1K': {'acc@1': 69.758,
                                                                              'acc@5': 89.078}},
                                                 '_ops': 1.814,
                                                 '_file_size': 44.661,
                                                 '_docs': 'These weights reproduce closely the results of '
                                                          'the paper using a simple training recipe.'}},
                      'DEFAULT': 'IMAGENET1K_V1'},
 'ResNet34_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/resnet34-b627a593.pth',
                                        'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                        'meta': {'min_size': (1, 1),
                                                 'categories': 'imagenet',
                                                 'num_params': 21797672,
                                                 'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#resnet',
                                                 '_metrics': {'ImageNet-1K': {'acc@1': 73.314,
                                                                              'acc@5': 91.42}},
                                                 '_ops': 3.664,
                                                 '_file_size': 83.275,
                                                 '_docs': 'These weights reproduce closely the results of '
                                                          'the paper using a simple training recipe.'}},
                      'DEFAULT': 'IMAGENET1K_V1'},
 'ResNet50_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/resnet50-0676ba61.pth',
                                        'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                        'meta': {'min_size': (1, 1),
                                                 'categories': 'imagenet',
                                                 'num_params': 25557032,
                                                 'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#resnet',
                                                 '_metrics': {'ImageNet-1K': {'acc@1': 76.13,
                                                                              'acc@5': 92.862}},
                                                 '_ops': 4.089,
                                                 '_file_size': 97.781,
                                                 '_docs': 'These weights reproduce closely the results of '
                                                          'the paper using a simple training recipe.'}},
                      'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/resnet50-11ad3fa6.pth',
                                        'transforms': {'name': 'ImageClassification',
                                                       'crop_size': 224,
                                                       'resize_size': 232},
                                        'meta': {'min_size': (1, 1),
                                                 'categories': 'imagenet',
                                                 'num_params': 25557032,
                                                 'recipe': 'https://github.com/pytorch/vision/issues/3995#issuecomment-1013906621',
                                                 '_metrics': {'ImageNet-1K': {'acc@1': 80.858,
                                                                              'acc@5': 95.434}},
                                                 '_ops': 4.089,
                                                 '_file_size': 97.79,
                                                 '_docs': '\n'
                                                          '                These weights improve upon the '
                                                          'results of the original paper by using '
                                                          "TorchVision's `new training recipe\n"
                                                          '                '
                                                          '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                          '            '}},
                      'DEFAULT': 'IMAGENET1K_V2'},
 'ResNeXt101_32X8D_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/resnext101_32x8d-8ba56ff5.pth',
                                                'transforms': {'name': 'ImageClassification',
                                                               'crop_size': 224},
                                                'meta': {'min_size': (1, 1),
                                                         'categories': 'imagenet',
                                                         'num_params': 88791336,
                                                         'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#resnext',
                                                         '_metrics': {'ImageNet-1K': {'acc@1': 79.312,
                                                                                      'acc@5': 94.526}},
                                                         '_ops': 16.414,
                                                         '_file_size': 339.586,
                                                         '_docs': 'These weights reproduce closely the '
                                                                  'results of the paper using a simple '
                                                                  'training recipe.'}},
                              'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/resnext101_32x8d-110c445d.pth',
                                                'transforms': {'name': 'ImageClassification',
                                                               'crop_size': 224,
                                                               'resize_size': 232},
                                                'meta': {'min_size': (1, 1),
                                                         'categories': 'imagenet',
                                                         'num_params': 88791336,
                                                         'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres',
                                                         '_metrics': {'ImageNet-1K': {'acc@1': 82.834,
                                                                                      'acc@5': 96.228}},
                                                         '_ops': 16.414,
                                                         '_file_size': 339.673,
                                                         '_docs': '\n'
                                                                  '                These weights improve '
                                                                  'upon the results of the original paper by '
                                                                  "using TorchVision's `new training recipe\n"
                                                                  '                '
                                                                  '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                  '            '}},
                              'DEFAULT': 'IMAGENET1K_V2'},
 'ResNeXt101_64X4D_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/resnext101_64x4d-173b62eb.pth',
                                                'transforms': {'name': 'ImageClassification',
                                                               'crop_size': 224,
                                                               'resize_size': 232},
                                                'meta': {'min_size': (1, 1),
                                                         'categories': 'imagenet',
                                                         'num_params': 83455272,
                                                         'recipe': 'https://github.com/pytorch/vision/pull/5935',
                                                         '_metrics': {'ImageNet-1K': {'acc@1': 83.246,
                                                                                      'acc@5': 96.454}},
                                                         '_ops': 15.46,
                                                         '_file_size': 319.318,
                                                         '_docs': '\n'
                                                                  '                These weights were '
                                                                  'trained from scratch by using '
                                                                  "TorchVision's `new training recipe\n"
                                                                  '                '
                                                                  '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                  '            '}},
                              'DEFAULT': 'IMAGENET1K_V1'},
 'ResNeXt50_32X4D_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/resnext50_32x4d-7cdf4587.pth',
                                               'transforms': {'name': 'ImageClassification',
                                                              'crop_size': 224},
                                               'meta': {'min_size': (1, 1),
                                                        'categories': 'imagenet',
                                                        'num_params': 25028904,
                                                        'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#resnext',
                                                        '_metrics': {'ImageNet-1K': {'acc@1': 77.618,
                                                                                     'acc@5': 93.698}},
                                                        '_ops': 4.23,
                                                        '_file_size': 95.789,
                                                        '_docs': 'These weights reproduce closely the '
                                                                 'results of the paper using a simple '
                                                                 'training recipe.'}},
                             'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/resnext50_32x4d-1a0047aa.pth',
                                               'transforms': {'name': 'ImageClassification',
                                                              'crop_size': 224,
                                                              'resize_size': 232},
                                               'meta': {'min_size': (1, 1),
                                                        'categories': 'imagenet',
                                                        'num_params': 25028904,
                                                        'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe',
                                                        '_metrics': {'ImageNet-1K': {'acc@1': 81.198,
                                                                                     'acc@5': 95.34}},
                                                        '_ops': 4.23,
                                                        '_file_size': 95.833,
                                                        '_docs': '\n'
                                                                 '                These weights improve upon '
                                                                 'the results of the original paper by using '
                                                                 "TorchVision's `new training recipe\n"
                                                                 '                '
                                                                 '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                 '            '}},
                             'DEFAULT': 'IMAGENET1K_V2'},
 'ShuffleNet_V2_X0_5_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/shufflenetv2_x0.5-f707e7126e.pth',
                                                  'transforms': {'name': 'ImageClassification',
                                                                 'crop_size': 224},
                                                  'meta': {'min_size': (1, 1),
                                                           'categories': 'imagenet',
                                                           'recipe': 'https://github.com/ericsun99/Shufflenet-v2-Pytorch',
                                                           'num_params': 1366792,
                                                           '_metrics': {'ImageNet-1K': {'acc@1': 60.552,
                                                                                        'acc@5': 81.746}},
                                                           '_ops': 0.04,
                                                           '_file_size': 5.282,
                                                           '_docs': 'These weights were trained from scratch '
                                                                    'to reproduce closely the results of the '
                                                                    'paper.'}},
                                'DEFAULT': 'IMAGENET1K_V1'},
 'ShuffleNet_V2_X1_0_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/shufflenetv2_x1-5666bf0f80.pth',
                                                  'transforms': {'name': 'ImageClassification',
                                                                 'crop_size': 224},
                                                  'meta': {'min_size': (1, 1),
                                                           'categories': 'imagenet',
                                                           'recipe': 'https://github.com/ericsun99/Shufflenet-v2-Pytorch',
                                                           'num_params': 2278604,
                                                           '_metrics': {'ImageNet-1K': {'acc@1': 69.362,
                                                                                        'acc@5': 88.316}},
                                                           '_ops': 0.145,
                                                           '_file_size': 8.791,
                                                           '_docs': 'These weights were trained from scratch '
                                                                    'to reproduce closely the results of the '
                                                                    'paper.'}},
                                'DEFAULT': 'IMAGENET1K_V1'},
 'ShuffleNet_V2_X1_5_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/shufflenetv2_x1_5-3c479a10.pth',
                                                  'transforms': {'name': 'ImageClassification',
                                                                 'crop_size': 224,
                                                                 'resize_size': 232},
                                                  'meta': {'min_size': (1, 1),
                                                           'categories': 'imagenet',
                                                           'recipe': 'https://github.com/pytorch/vision/pull/5906',
                                                           'num_params': 3503624,
                                                           '_metrics': {'ImageNet-1K': {'acc@1': 72.996,
                                                                                        'acc@5': 91.086}},
                                                           '_ops': 0.296,
                                                           '_file_size': 13.557,
                                                           '_docs': '\n'
                                                                    '                These weights were '
                                                                    'trained from scratch by using '
                                                                    "TorchVision's `new training recipe\n"
                                                                    '                '
                                                                    '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                    '            '}},
                                'DEFAULT': 'IMAGENET1K_V1'},
 'ShuffleNet_V2_X2_0_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/shufflenetv2_x2_0-8be3c8ee.pth',
                                                  'transforms': {'name': 'ImageClassification',
                                                                 'crop_size': 224,
                                                                 'resize_size': 232},
                                                  'meta': {'min_size': (1, 1),
                                                           'categories': 'imagenet',
                                                           'recipe': 'https://github.com/pytorch/vision/pull/5906',
                                                           'num_params': 7393996,
                                                           '_metrics': {'ImageNet-1K': {'acc@1': 76.23,
                                                                                        'acc@5': 93.006}},
                                                           '_ops': 0.583,
                                                           '_file_size': 28.433,
                                                           '_docs': '\n'
                                                                    '                These weights were '
                                                                    'trained from scratch by using '
                                                                    "TorchVision's `new training recipe\n"
                                                                    '                '
                                                                    '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                    '            '}},
                                'DEFAULT': 'IMAGENET1K_V1'},
 'SqueezeNet1_0_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/squeezenet1_0-b66bff10.pth',
                                             'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                             'meta': {'categories': 'imagenet',
                                                      'recipe': 'https://github.com/pytorch/vision/pull/49#issuecomment-277560717',
                                                      '_docs': 'These weights reproduce closely the results '
                                                               'of the paper using a simple training recipe.',
                                                      'min_size': (21, 21),
                                                      'num_params': 1248424,
                                                      '_metrics': {'ImageNet-1K': {'acc@1': 58.092,
                                                                                   'acc@5': 80.42}},
                                                      '_ops': 0.819,
                                                      '_file_size': 4.778}},
                           'DEFAULT': 'IMAGENET1K_V1'},
 'SqueezeNet1_1_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth',
                                             'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                             'meta': {'categories': 'imagenet',
                                                      'recipe': 'https://github.com/pytorch/vision/pull/49#issuecomment-277560717',
                                                      '_docs': 'These weights reproduce closely the results '
                                                               'of the paper using a simple training recipe.',
                                                      'min_size': (17, 17),
                                                      'num_params': 1235496,
                                                      '_metrics': {'ImageNet-1K': {'acc@1': 58.178,
                                                                                   'acc@5': 80.624}},
                                                      '_ops': 0.349,
                                                      '_file_size': 4.729}},
                           'DEFAULT': 'IMAGENET1K_V1'},
 'Swin_B_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/swin_b-68c6b09e.pth',
                                      'transforms': {'name': 'ImageClassification',
                                                     'crop_size': 224,
                                                     'resize_size': 238,
                                                     'interpolation': 'bicubic'},
                                      'meta': {'categories': 'imagenet',
                                               'num_params': 87768224,
                                               'min_size': (224, 224),
                                               'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#swintransformer',
                                               '_metrics': {'ImageNet-1K': {'acc@1': 83.582, 'acc@5': 96.64}},
                                               '_ops': 15.431,
                                               '_file_size': 335.364,
                                               '_docs': 'These weights reproduce closely the results of the '
                                                        'paper using a similar training recipe.'}},
                    'DEFAULT': 'IMAGENET1K_V1'},
 'Swin_S_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/swin_s-5e29d889.pth',
                                      'transforms': {'name': 'ImageClassification',
                                                     'crop_size': 224,
                                                     'resize_size': 246,
                                                     'interpolation': 'bicubic'},
                                      'meta': {'categories': 'imagenet',
                                               'num_params': 49606258,
                                               'min_size': (224, 224),
                                               'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#swintransformer',
                                               '_metrics': {'ImageNet-1K': {'acc@1': 83.196, 'acc@5': 96.36}},
                                               '_ops': 8.741,
                                               '_file_size': 189.786,
                                               '_docs': 'These weights reproduce closely the results of the '
                                                        'paper using a similar training recipe.'}},
                    'DEFAULT': 'IMAGENET1K_V1'},
 'Swin_T_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/swin_t-704ceda3.pth',
                                      'transforms': {'name': 'ImageClassification',
                                                     'crop_size': 224,
                                                     'resize_size': 232,
                                                     'interpolation': 'bicubic'},
                                      'meta': {'categories': 'imagenet',
                                               'num_params': 28288354,
                                               'min_size': (224, 224),
                                               'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#swintransformer',
                                               '_metrics': {'ImageNet-1K': {'acc@1': 81.474,
                                                                            'acc@5': 95.776}},
                                               '_ops': 4.491,
                                               '_file_size': 108.19,
                                               '_docs': 'These weights reproduce closely the results of the '
                                                        'paper using a similar training recipe.'}},
                    'DEFAULT': 'IMAGENET1K_V1'},
 'Swin_V2_B_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/swin_v2_b-781e5279.pth',
                                         'transforms': {'name': 'ImageClassification',
                                                        'crop_size': 256,
                                                        'resize_size': 272,
                                                        'interpolation': 'bicubic'},
                                         'meta': {'categories': 'imagenet',
                                                  'num_params': 87930848,
                                                  'min_size': (256, 256),
                                                  'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#swintransformer-v2',
                                                  '_metrics': {'ImageNet-1K': {'acc@1': 84.112,
                                                                               'acc@5': 96.864}},
                                                  '_ops': 20.325,
                                                  '_file_size': 336.372,
                                                  '_docs': 'These weights reproduce closely the results of '
                                                           'the paper using a similar training recipe.'}},
                       'DEFAULT': 'IMAGENET1K_V1'},
 'Swin_V2_S_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/swin_v2_s-637d8ceb.pth',
                                         'transforms': {'name': 'ImageClassification',
                                                        'crop_size': 256,
                                                        'resize_size': 260,
                                                        'interpolation': 'bicubic'},
                                         'meta': {'categories': 'imagenet',
                                                  'num_params': 49737442,
                                                  'min_size': (256, 256),
                                                  'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#swintransformer-v2',
                                                  '_metrics': {'ImageNet-1K': {'acc@1': 83.712,
                                                                               'acc@5': 96.816}},
                                                  '_ops': 11.546,
                                                  '_file_size': 190.675,
                                                  '_docs': 'These weights reproduce closely the results of '
                                                           'the paper using a similar training recipe.'}},
                       'DEFAULT': 'IMAGENET1K_V1'},
 'Swin_V2_T_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/swin_v2_t-b137f0e2.pth',
                                         'transforms': {'name': 'ImageClassification',
                                                        'crop_size': 256,
                                                        'resize_size': 260,
                                                        'interpolation': 'bicubic'},
                                         'meta': {'categories': 'imagenet',
                                                  'num_params': 28351570,
                                                  'min_size': (256, 256),
                                                  'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#swintransformer-v2',
                                                  '_metrics': {'ImageNet-1K': {'acc@1': 82.072,
                                                                               'acc@5': 96.132}},
                                                  '_ops': 5.94,
                                                  '_file_size': 108.626,
                                                  '_docs': 'These weights reproduce closely the results of '
                                                           'the paper using a similar training recipe.'}},
                       'DEFAULT': 'IMAGENET1K_V1'},
 'VGG11_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/vgg11-8a719046.pth',
                                     'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                     'meta': {'min_size': (32, 32),
                                              'categories': 'imagenet',
                                              'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg',
                                              '_docs': 'These weights were trained from scratch by using a '
                                                       'simplified training recipe.',
                                              'num_params': 132863336,
                                              '_metrics': {'ImageNet-1K': {'acc@1': 69.02, 'acc@5': 88.628}},
                                              '_ops': 7.609,
                                              '_file_size': 506.84}},
                   'DEFAULT': 'IMAGENET1K_V1'},
 'VGG11_BN_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/vgg11_bn-6002323d.pth',
                                        'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                        'meta': {'min_size': (32, 32),
                                                 'categories': 'imagenet',
                                                 'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg',
                                                 '_docs': 'These weights were trained from scratch by using '
                                                          'a simplified training recipe.',
                                                 'num_params': 132868840,
                                                 '_metrics': {'ImageNet-1K': {'acc@1': 70.37,
                                                                              'acc@5': 89.81}},
                                                 '_ops': 7.609,
                                                 '_file_size': 506.881}},
                      'DEFAULT': 'IMAGENET1K_V1'},
 'VGG13_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/vgg13-19584684.pth',
                                     'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                     'meta': {'min_size': (32, 32),
                                              'categories': 'imagenet',
                                              'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg',
                                              '_docs': 'These weights were trained from scratch by using a '
                                                       'simplified training recipe.',
                                              'num_params': 133047848,
                                              '_metrics': {'ImageNet-1K': {'acc@1': 69.928, 'acc@5': 89.246}},
                                              '_ops': 11.308,
                                              '_file_size': 507.545}},
                   'DEFAULT': 'IMAGENET1K_V1'},
 'VGG13_BN_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/vgg13_bn-abd245e5.pth',
                                        'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                        'meta': {'min_size': (32, 32),
                                                 'categories': 'imagenet',
                                                 'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg',
                                                 '_docs': 'These weights were trained from scratch by using '
                                                          'a simplified training recipe.',
                                                 'num_params': 133053736,
                                                 '_metrics': {'ImageNet-1K': {'acc@1': 71.586,
                                                                              'acc@5': 90.374}},
                                                 '_ops': 11.308,
                                                 '_file_size': 507.59}},
                      'DEFAULT': 'IMAGENET1K_V1'},
 'VGG16_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/vgg16-397923af.pth',
                                     'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                     'meta': {'min_size': (32, 32),
                                              'categories': 'imagenet',
                                              'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg',
                                              '_docs': 'These weights were trained from scratch by using a '
                                                       'simplified training recipe.',
                                              'num_params': 138357544,
                                              '_metrics': {'ImageNet-1K': {'acc@1': 71.592, 'acc@5': 90.382}},
                                              '_ops': 15.47,
                                              '_file_size': 527.796}},
                   'IMAGENET1K_FEATURES': {'url': 'https://download.pytorch.org/models/vgg16_features-amdegroot-88682ab5.pth',
                                           'transforms': {'name': 'ImageClassification',
                                                          'crop_size': 224,
                                                          'mean': (0.48235, 0.45882, 0.40784),
                                                          'std': (0.00392156862745098,
                                                                  0.00392156862745098,
                                                                  0.00392156862745098)},
                                           'meta': {'min_size': (32, 32),
                                                    'categories': None,
                                                    'recipe': 'https://github.com/amdegroot/ssd.pytorch#training-ssd',
                                                    '_docs': '\n'
                                                             "                These weights can't be used "
                                                             'for classification because they are missing '
                                                             'values in the `classifier`\n'
                                                             '                module. Only the `features` '
                                                             'module has valid values and can be used for '
                                                             'feature extraction. The weights\n'
                                                             '                were trained using the '
                                                             'original input standardization method as '
                                                             'described in the paper.\n'
                                                             '            ',
                                                    'num_params': 138357544,
                                                    '_metrics': {'ImageNet-1K': {'acc@1': float("nan"), 'acc@5': float("nan")}},
                                                    '_ops': 15.47,
                                                    '_file_size': 527.802}},
                   'DEFAULT': 'IMAGENET1K_V1'},
 'VGG16_BN_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/vgg16_bn-6c64b313.pth',
                                        'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                        'meta': {'min_size': (32, 32),
                                                 'categories': 'imagenet',
                                                 'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg',
                                                 '_docs': 'These weights were trained from scratch by using '
                                                          'a simplified training recipe.',
                                                 'num_params': 138365992,
                                                 '_metrics': {'ImageNet-1K': {'acc@1': 73.36,
                                                                              'acc@5': 91.516}},
                                                 '_ops': 15.47,
                                                 '_file_size': 527.866}},
                      'DEFAULT': 'IMAGENET1K_V1'},
 'VGG19_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/vgg19-dcbb9e9d.pth',
                                     'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                     'meta': {'min_size': (32, 32),
                                              'categories': 'imagenet',
                                              'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg',
                                              '_docs': 'These weights were trained from scratch by using a '
                                                       'simplified training recipe.',
                                              'num_params': 143667240,
                                              '_metrics': {'ImageNet-1K': {'acc@1': 72.376, 'acc@5': 90.876}},
                                              '_ops': 19.632,
                                              '_file_size': 548.051}},
                   'DEFAULT': 'IMAGENET1K_V1'},
 'VGG19_BN_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/vgg19_bn-c79401a0.pth',
                                        'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                        'meta': {'min_size': (32, 32),
                                                 'categories': 'imagenet',
                                                 'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg',
                                                 '_docs': 'These weights were trained from scratch by using '
                                                          'a simplified training recipe.',
                                                 'num_params': 143678248,
                                                 '_metrics': {'ImageNet-1K': {'acc@1': 74.218,
                                                                              'acc@5': 91.842}},
                                                 '_ops': 19.632,
                                                 '_file_size': 548.143}},
                      'DEFAULT': 'IMAGENET1K_V1'},
 'ViT_B_16_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/vit_b_16-c867db91.pth',
                                        'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                        'meta': {'categories': 'imagenet',
                                                 'num_params': 86567656,
                                                 'min_size': (224, 224),
                                                 'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#vit_b_16',
                                                 '_metrics': {'ImageNet-1K': {'acc@1': 81.072,
                                                                              'acc@5': 95.318}},
                                                 '_ops': 17.564,
                                                 '_file_size': 330.285,
                                                 '_docs': '\n'
                                                          '                These weights were trained from '
                                                          'scratch by using a modified version of `DeIT\n'
                                                          '                '
                                                          "<https://arxiv.org/abs/2012.12877>`_'s training "
                                                          'recipe.\n'
                                                          '            '}},
                      'IMAGENET1K_SWAG_E2E_V1': {'url': 'https://download.pytorch.org/models/vit_b_16_swag-9ac1b537.pth',
                                                 'transforms': {'name': 'ImageClassification',
                                                                'crop_size': 384,
                                                                'resize_size': 384,
                                                                'interpolation': 'bicubic'},
                                                 'meta': {'categories': 'imagenet',
                                                          'recipe': 'https://github.com/facebookresearch/SWAG',
                                                          'license': 'https://github.com/facebookresearch/SWAG/blob/main/LICENSE',
                                                          'num_params': 86859496,
                                                          'min_size': (384, 384),
                                                          '_metrics': {'ImageNet-1K': {'acc@1': 85.304,
                                                                                       'acc@5': 97.65}},
                                                          '_ops': 55.484,
                                                          '_file_size': 331.398,
                                                          '_docs': '\n'
                                                                   '                These weights are learnt '
                                                                   'via transfer learning by end-to-end '
                                                                   'fine-tuning the original\n'
                                                                   '                `SWAG '
                                                                   '<https://arxiv.org/abs/2201.08371>`_ '
                                                                   'weights on ImageNet-1K data.\n'
                                                                   '            '}},
                      'IMAGENET1K_SWAG_LINEAR_V1': {'url': 'https://download.pytorch.org/models/vit_b_16_lc_swag-4e70ced5.pth',
                                                    'transforms': {'name': 'ImageClassification',
                                                                   'crop_size': 224,
                                                                   'resize_size': 224,
                                                                   'interpolation': 'bicubic'},
                                                    'meta': {'categories': 'imagenet',
                                                             'recipe': 'https://github.com/pytorch/vision/pull/5793',
                                                             'license': 'https://github.com/facebookresearch/SWAG/blob/main/LICENSE',
                                                             'num_params': 86567656,
                                                             'min_size': (224, 224),
                                                             '_metrics': {'ImageNet-1K': {'acc@1': 81.886,
                                                                                          'acc@5': 96.18}},
                                                             '_ops': 17.564,
                                                             '_file_size': 330.285,
                                                             '_docs': '\n'
                                                                      '                These weights are '
                                                                      'composed of the original frozen `SWAG '
                                                                      '<https://arxiv.org/abs/2201.08371>`_ '
                                                                      'trunk\n'
                                                                      '                weights and a linear '
                                                                      'classifier learnt on top of them '
                                                                      'trained on ImageNet-1K data.\n'
                                                                      '            '}},
                      'DEFAULT': 'IMAGENET1K_V1'},
 'ViT_B_32_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/vit_b_32-d86f8d99.pth',
                                        'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                        'meta': {'categories': 'imagenet',
                                                 'num_params': 88224232,
                                                 'min_size': (224, 224),
                                                 'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#vit_b_32',
                                                 '_metrics': {'ImageNet-1K': {'acc@1': 75.912,
                                                                              'acc@5': 92.466}},
                                                 '_ops': 4.409,
                                                 '_file_size': 336.604,
                                                 '_docs': '\n'
                                                          '                These weights were trained from '
                                                          'scratch by using a modified version of `DeIT\n'
                                                          '                '
                                                          "<https://arxiv.org/abs/2012.12877>`_'s training "
                                                          'recipe.\n'
                                                          '            '}},
                      'DEFAULT': 'IMAGENET1K_V1'},
 'ViT_H_14_Weights': {'IMAGENET1K_SWAG_E2E_V1': {'url': 'https://download.pytorch.org/models/vit_h_14_swag-80465313.pth',
                                                 'transforms': {'name': 'ImageClassification',
                                                                'crop_size': 518,
                                                                'resize_size': 518,
                                                                'interpolation': 'bicubic'},
                                                 'meta': {'categories': 'imagenet',
                                                          'recipe': 'https://github.com/facebookresearch/SWAG',
                                                          'license': 'https://github.com/facebookresearch/SWAG/blob/main/LICENSE',
                                                          'num_params': 633470440,
                                                          'min_size': (518, 518),
                                                          '_metrics': {'ImageNet-1K': {'acc@1': 88.552,
                                                                                       'acc@5': 98.694}},
                                                          '_ops': 1016.717,
                                                          '_file_size': 2416.643,
                                                          '_docs': '\n'
                                                                   '                These weights are learnt '
                                                                   'via transfer learning by end-to-end '
                                                                   'fine-tuning the original\n'
                                                                   '                `SWAG '
                                                                   '<https://arxiv.org/abs/2201.08371>`_ '
                                                                   'weights on ImageNet-1K data.\n'
                                                                   '            '}},
                      'IMAGENET1K_SWAG_LINEAR_V1': {'url': 'https://download.pytorch.org/models/vit_h_14_lc_swag-c1eb923e.pth',
                                                    'transforms': {'name': 'ImageClassification',
                                                                   'crop_size': 224,
                                                                   'resize_size': 224,
                                                                   'interpolation': 'bicubic'},
                                                    'meta': {'categories': 'imagenet',
                                                             'recipe': 'https://github.com/pytorch/vision/pull/5793',
                                                             'license': 'https://github.com/facebookresearch/SWAG/blob/main/LICENSE',
                                                             'num_params': 632045800,
                                                             'min_size': (224, 224),
                                                             '_metrics': {'ImageNet-1K': {'acc@1': 85.708,
                                                                                          'acc@5': 97.73}},
                                                             '_ops': 167.295,
                                                             '_file_size': 2411.209,
                                                             '_docs': '\n'
                                                                      '                These weights are '
                                                                      'composed of the original frozen `SWAG '
                                                                      '<https://arxiv.org/abs/2201.08371>`_ '
                                                                      'trunk\n'
                                                                      '                weights and a linear '
                                                                      'classifier learnt on top of them '
                                                                      'trained on ImageNet-1K data.\n'
                                                                      '            '}},
                      'DEFAULT': 'IMAGENET1K_SWAG_E2E_V1'},
 'ViT_L_16_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/vit_l_16-852ce7e3.pth',
                                        'transforms': {'name': 'ImageClassification',
                                                       'crop_size': 224,
                                                       'resize_size': 242},
                                        'meta': {'categories': 'imagenet',
                                                 'num_params': 304326632,
                                                 'min_size': (224, 224),
                                                 'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#vit_l_16',
                                                 '_metrics': {'ImageNet-1K': {'acc@1': 79.662,
                                                                              'acc@5': 94.638}},
                                                 '_ops': 61.555,
                                                 '_file_size': 1161.023,
                                                 '_docs': '\n'
                                                          '                These weights were trained from '
                                                          'scratch by using a modified version of '
                                                          "TorchVision's\n"
                                                          '                `new training recipe\n'
                                                          '                '
                                                          '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                          '            '}},
                      'IMAGENET1K_SWAG_E2E_V1': {'url': 'https://download.pytorch.org/models/vit_l_16_swag-4f3808c9.pth',
                                                 'transforms': {'name': 'ImageClassification',
                                                                'crop_size': 512,
                                                                'resize_size': 512,
                                                                'interpolation': 'bicubic'},
                                                 'meta': {'categories': 'imagenet',
                                                          'recipe': 'https://github.com/facebookresearch/SWAG',
                                                          'license': 'https://github.com/facebookresearch/SWAG/blob/main/LICENSE',
                                                          'num_params': 305174504,
                                                          'min_size': (512, 512),
                                                          '_metrics': {'ImageNet-1K': {'acc@1': 88.064,
                                                                                       'acc@5': 98.512}},
                                                          '_ops': 361.986,
                                                          '_file_size': 1164.258,
                                                          '_docs': '\n'
                                                                   '                These weights are learnt '
                                                                   'via transfer learning by end-to-end '
                                                                   'fine-tuning the original\n'
                                                                   '                `SWAG '
                                                                   '<https://arxiv.org/abs/2201.08371>`_ '
                                                                   'weights on ImageNet-1K data.\n'
                                                                   '            '}},
                      'IMAGENET1K_SWAG_LINEAR_V1': {'url': 'https://download.pytorch.org/models/vit_l_16_lc_swag-4d563306.pth',
                                                    'transforms': {'name': 'ImageClassification',
                                                                   'crop_size': 224,
                                                                   'resize_size': 224,
                                                                   'interpolation': 'bicubic'},
                                                    'meta': {'categories': 'imagenet',
                                                             'recipe': 'https://github.com/pytorch/vision/pull/5793',
                                                             'license': 'https://github.com/facebookresearch/SWAG/blob/main/LICENSE',
                                                             'num_params': 304326632,
                                                             'min_size': (224, 224),
                                                             '_metrics': {'ImageNet-1K': {'acc@1': 85.146,
                                                                                          'acc@5': 97.422}},
                                                             '_ops': 61.555,
                                                             '_file_size': 1161.023,
                                                             '_docs': '\n'
                                                                      '                These weights are '
                                                                      'composed of the original frozen `SWAG '
                                                                      '<https://arxiv.org/abs/2201.08371>`_ '
                                                                      'trunk\n'
                                                                      '                weights and a linear '
                                                                      'classifier learnt on top of them '
                                                                      'trained on ImageNet-1K data.\n'
                                                                      '            '}},
                      'DEFAULT': 'IMAGENET1K_V1'},
 'ViT_L_32_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/vit_l_32-c7638314.pth',
                                        'transforms': {'name': 'ImageClassification', 'crop_size': 224},
                                        'meta': {'categories': 'imagenet',
                                                 'num_params': 306535400,
                                                 'min_size': (224, 224),
                                                 'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#vit_l_32',
                                                 '_metrics': {'ImageNet-1K': {'acc@1': 76.972,
                                                                              'acc@5': 93.07}},
                                                 '_ops': 15.378,
                                                 '_file_size': 1169.449,
                                                 '_docs': '\n'
                                                          '                These weights were trained from '
                                                          'scratch by using a modified version of `DeIT\n'
                                                          '                '
                                                          "<https://arxiv.org/abs/2012.12877>`_'s training "
                                                          'recipe.\n'
                                                          '            '}},
                      'DEFAULT': 'IMAGENET1K_V1'},
 'Wide_ResNet101_2_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/wide_resnet101_2-32ee1156.pth',
                                                'transforms': {'name': 'ImageClassification',
                                                               'crop_size': 224},
                                                'meta': {'min_size': (1, 1),
                                                         'categories': 'imagenet',
                                                         'num_params': 126886696,
                                                         'recipe': 'https://github.com/pytorch/vision/pull/912#issue-445437439',
                                                         '_metrics': {'ImageNet-1K': {'acc@1': 78.848,
                                                                                      'acc@5': 94.284}},
                                                         '_ops': 22.753,
                                                         '_file_size': 242.896,
                                                         '_docs': 'These weights reproduce closely the '
                                                                  'results of the paper using a simple '
                                                                  'training recipe.'}},
                              'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/wide_resnet101_2-d733dc28.pth',
                                                'transforms': {'name': 'ImageClassification',
                                                               'crop_size': 224,
                                                               'resize_size': 232},
                                                'meta': {'min_size': (1, 1),
                                                         'categories': 'imagenet',
                                                         'num_params': 126886696,
                                                         'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe',
                                                         '_metrics': {'ImageNet-1K': {'acc@1': 82.51,
                                                                                      'acc@5': 96.02}},
                                                         '_ops': 22.753,
                                                         '_file_size': 484.747,
                                                         '_docs': '\n'
                                                                  '                These weights improve '
                                                                  'upon the results of the original paper by '
                                                                  "using TorchVision's `new training recipe\n"
                                                                  '                '
                                                                  '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                  '            '}},
                              'DEFAULT': 'IMAGENET1K_V2'},
 'Wide_ResNet50_2_Weights': {'IMAGENET1K_V1': {'url': 'https://download.pytorch.org/models/wide_resnet50_2-95faca4d.pth',
                                               'transforms': {'name': 'ImageClassification',
                                                              'crop_size': 224},
                                               'meta': {'min_size': (1, 1),
                                                        'categories': 'imagenet',
                                                        'num_params': 68883240,
                                                        'recipe': 'https://github.com/pytorch/vision/pull/912#issue-445437439',
                                                        '_metrics': {'ImageNet-1K': {'acc@1': 78.468,
                                                                                     'acc@5': 94.086}},
                                                        '_ops': 11.398,
                                                        '_file_size': 131.82,
                                                        '_docs': 'These weights reproduce closely the '
                                                                 'results of the paper using a simple '
                                                                 'training recipe.'}},
                             'IMAGENET1K_V2': {'url': 'https://download.pytorch.org/models/wide_resnet50_2-9ba9bcbe.pth',
                                               'transforms': {'name': 'ImageClassification',
                                                              'crop_size': 224,
                                                              'resize_size': 232},
                                               'meta': {'min_size': (1, 1),
                                                        'categories': 'imagenet',
                                                        'num_params': 68883240,
                                                        'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres',
                                                        '_metrics': {'ImageNet-1K': {'acc@1': 81.602,
                                                                                     'acc@5': 95.758}},
                                                        '_ops': 11.398,
                                                        '_file_size': 263.124,
                                                        '_docs': '\n'
                                                                 '                These weights improve upon '
                                                                 'the results of the original paper by using '
                                                                 "TorchVision's `new training recipe\n"
                                                                 '                '
                                                                 '<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.\n'
                                                                 '            '}},
                             'DEFAULT': 'IMAGENET1K_V2'},
 'DeepLabV3_MobileNet_V3_Large_Weights': {'COCO_WITH_VOC_LABELS_V1': {'url': 'https://download.pytorch.org/models/deeplabv3_mobilenet_v3_large-fc3c493d.pth',
                                                                      'transforms': {'name': 'SemanticSegmentation',
                                                                                     'resize_size': 520},
                                                                      'meta': {'categories': 'voc',
                                                                               'min_size': (1, 1),
                                                                               '_docs': '\n'
                                                                                        '        These '
                                                                                        'weights were '
                                                                                        'trained on a subset '
                                                                                        'of COCO, using only '
                                                                                        'the 20 categories '
                                                                                        'that are present in '
                                                                                        'the Pascal VOC\n'
                                                                                        '        dataset.\n'
                                                                                        '    ',
                                                                               'num_params': 11029328,
                                                                               'recipe': 'https://github.com/pytorch/vision/tree/main/references/segmentation#deeplabv3_mobilenet_v3_large',
                                                                               '_metrics': {'COCO-val2017-VOC-labels': {'miou': 60.3,
                                                                                                                        'pixel_acc': 91.2}},
                                                                               '_ops': 10.452,
                                                                               '_file_size': 42.301}},
                                          'DEFAULT': 'COCO_WITH_VOC_LABELS_V1'},
 'DeepLabV3_ResNet101_Weights': {'COCO_WITH_VOC_LABELS_V1': {'url': 'https://download.pytorch.org/models/deeplabv3_resnet101_coco-586e9e4e.pth',
                                                             'transforms': {'name': 'SemanticSegmentation',
                                                                            'resize_size': 520},
                                                             'meta': {'categories': 'voc',
                                                                      'min_size': (1, 1),
                                                                      '_docs': '\n'
                                                                               '        These weights were '
                                                                               'trained on a subset of COCO, '
                                                                               'using only the 20 categories '
                                                                               'that are present in the '
                                                                               'Pascal VOC\n'
                                                                               '        dataset.\n'
                                                                               '    ',
                                                                      'num_params': 60996202,
                                                                      'recipe': 'https://github.com/pytorch/vision/tree/main/references/segmentation#fcn_resnet101',
                                                                      '_metrics': {'COCO-val2017-VOC-labels': {'miou': 67.4,
                                                                                                               'pixel_acc': 92.4}},
                                                                      '_ops': 258.743,
                                                                      '_file_size': 233.217}},
                                 'DEFAULT': 'COCO_WITH_VOC_LABELS_V1'},
 'DeepLabV3_ResNet50_Weights': {'COCO_WITH_VOC_LABELS_V1': {'url': 'https://download.pytorch.org/models/deeplabv3_resnet50_coco-cd0a2569.pth',
                                                            'transforms': {'name': 'SemanticSegmentation',
                                                                           'resize_size': 520},
                                                            'meta': {'categories': 'voc',
                                                                     'min_size': (1, 1),
                                                                     '_docs': '\n'
                                                                              '        These weights were '
                                                                              'trained on a subset of COCO, '
                                                                              'using only the 20 categories '
                                                                              'that are present in the '
                                                                              'Pascal VOC\n'
                                                                              '        dataset.\n'
                                                                              '    ',
                                                                     'num_params': 42004074,
                                                                     'recipe': 'https://github.com/pytorch/vision/tree/main/references/segmentation#deeplabv3_resnet50',
                                                                     '_metrics': {'COCO-val2017-VOC-labels': {'miou': 66.4,
                                                                                                              'pixel_acc': 92.4}},
                                                                     '_ops': 178.722,
                                                                     '_file_size': 160.515}},
                                'DEFAULT': 'COCO_WITH_VOC_LABELS_V1'},
 'FCN_ResNet101_Weights': {'COCO_WITH_VOC_LABELS_V1': {'url': 'https://download.pytorch.org/models/fcn_resnet101_coco-7ecb50ca.pth',
                                                       'transforms': {'name': 'SemanticSegmentation',
                                                                      'resize_size': 520},
                                                       'meta': {'categories': 'voc',
                                                                'min_size': (1, 1),
                                                                '_docs': '\n'
                                                                         '        These weights were trained '
                                                                         'on a subset of COCO, using only '
                                                                         'the 20 categories that are present '
                                                                         'in the Pascal VOC\n'
                                                                         '        dataset.\n'
                                                                         '    ',
                                                                'num_params': 54314346,
                                                                'recipe': 'https://github.com/pytorch/vision/tree/main/references/segmentation#deeplabv3_resnet101',
                                                                '_metrics': {'COCO-val2017-VOC-labels': {'miou': 63.7,
                                                                                                         'pixel_acc': 91.9}},
                                                                '_ops': 232.738,
                                                                '_file_size': 207.711}},
                           'DEFAULT': 'COCO_WITH_VOC_LABELS_V1'},
 'FCN_ResNet50_Weights': {'COCO_WITH_VOC_LABELS_V1': {'url': 'https://download.pytorch.org/models/fcn_resnet50_coco-1167a1af.pth',
                                                      'transforms': {'name': 'SemanticSegmentation',
                                                                     'resize_size': 520},
                                                      'meta': {'categories': 'voc',
                                                               'min_size': (1, 1),
                                                               '_docs': '\n'
                                                                        '        These weights were trained '
                                                                        'on a subset of COCO, using only the '
                                                                        '20 categories that are present in '
                                                                        'the Pascal VOC\n'
                                                                        '        dataset.\n'
                                                                        '    ',
                                                               'num_params': 35322218,
                                                               'recipe': 'https://github.com/pytorch/vision/tree/main/references/segmentation#fcn_resnet50',
                                                               '_metrics': {'COCO-val2017-VOC-labels': {'miou': 60.5,
                                                                                                        'pixel_acc': 91.4}},
                                                               '_ops': 152.717,
                                                               '_file_size': 135.009}},
                          'DEFAULT': 'COCO_WITH_VOC_LABELS_V1'},
 'LRASPP_MobileNet_V3_Large_Weights': {'COCO_WITH_VOC_LABELS_V1': {'url': 'https://download.pytorch.org/models/lraspp_mobilenet_v3_large-d234d4ea.pth',
                                                                   'transforms': {'name': 'SemanticSegmentation',
                                                                                  'resize_size': 520},
                                                                   'meta': {'num_params': 3221538,
                                                                            'categories': 'voc',
                                                                            'min_size': (1, 1),
                                                                            'recipe': 'https://github.com/pytorch/vision/tree/main/references/segmentation#lraspp_mobilenet_v3_large',
                                                                            '_metrics': {'COCO-val2017-VOC-labels': {'miou': 57.9,
                                                                                                                     'pixel_acc': 91.2}},
                                                                            '_ops': 2.086,
                                                                            '_file_size': 12.49,
                                                                            '_docs': '\n'
                                                                                     '                These '
                                                                                     'weights were trained '
                                                                                     'on a subset of COCO, '
                                                                                     'using only the 20 '
                                                                                     'categories that are '
                                                                                     'present in the\n'
                                                                                     '                Pascal '
                                                                                     'VOC dataset.\n'
                                                                                     '            '}},
                                       'DEFAULT': 'COCO_WITH_VOC_LABELS_V1'}}
